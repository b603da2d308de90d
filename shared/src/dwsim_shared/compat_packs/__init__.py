"""Engine function packs: what no rewrite can express, implemented in each engine.

`sqlite.register_compat(conn)` adds Python functions and aggregates to a SQLite connection;
`postgres.install_compat(cursor)` installs the versioned `dwsim_compat` schema in the Redshift
mock. The query service's rewrites call these functions by the names listed here.
"""
