import os
import pytest
pytestmark = pytest.mark.integration

SQLS = [l for l in os.environ.get("SCRATCH_SQL", "").split(";;") if l.strip()]

@pytest.mark.parametrize("sql", SQLS)
def test_scratch(golden_engine, sql):
    try:
        print("\nRESULT", golden_engine.name, sql, "=>", repr(golden_engine.run(sql, os.environ.get("SCRATCH_DIALECT", "snowflake"))))
    except Exception as e:
        print("\nRESULT", golden_engine.name, sql, "=> ERROR", getattr(e, "message", repr(e))[:300])
        try:
            print("   engine SQL:", golden_engine.engine_sql(sql, "snowflake"))
        except Exception:
            pass
