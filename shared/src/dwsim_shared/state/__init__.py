"""Run state: SQLAlchemy models, engine/session factory, migrations."""
