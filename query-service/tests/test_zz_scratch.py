"""Scratch (not committed): run the SQL in /tmp/h16sb_probe.sql (one query per line) on every engine."""
from __future__ import annotations
import pytest
pytestmark = pytest.mark.integration

def test_probe(golden_engines) -> None:  # type: ignore[no-untyped-def]
    lines = [l for l in open("/tmp/h16sb_probe.sql").read().splitlines() if l.strip() and not l.startswith("#")]
    out = []
    for sql in lines:
        out.append(f"== {sql}")
        for name, engine in golden_engines.items():
            try:
                rows = engine.run(sql, "snowflake")
                out.append(f"  {name}: {rows!r}")
            except Exception as e:  # noqa: BLE001
                msg = getattr(e, "message", str(e))
                out.append(f"  {name}: ERR {type(e).__name__}: {str(msg)[:300]}")
                try:
                    out.append(f"      sql: {engine.engine_sql(sql, 'snowflake')[:300]}")
                except Exception:
                    pass
    open("/tmp/h16sb_probe.out", "w").write("\n".join(out) + "\n")
