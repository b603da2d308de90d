"""Golden cases as data: each file of `query-service/tests/golden/cases/` holds cases of one
family, each a construct written in one or both source dialects with the value the source
warehouse answers, and, per engine, whether it runs or is refused.

```yaml
- construct: DATEADD
  dialects: [redshift, snowflake]
  expr: DATEADD(hour, 1, ts)      # or `sql:` for a whole query over table g
  expect: 2024-03-17 11:11:12     # a value (expr) or a list of rows (sql)
  refuse: {sqlite: "pattern"}     # engines that refuse it, with a piece of the message
- construct: division by zero
  dialects: [redshift, snowflake]
  expr: i / 0
  fails: division by zero         # the source fails it: every engine must fail it too, with
                                  # this piece in its message (never answer NULL or inf)
  doc: https://docs.aws.amazon.com/...  # the reference page the case comes from (optional)

- construct: result names and types
  dialect: redshift
  sql: SELECT COUNT(*), SUM(n) FROM g
  columns: [[count, bigint], [sum, "numeric(38,2)"]]   # optional: each column's source name
  expect: [[5, 113.79]]                                # and type, as the answer carries them
```
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dwsim_shared.engines import adapters

# The warehouses a case runs on: every adapter of the engine registry.
ENGINES = tuple(a.name for a in adapters())


@dataclass(frozen=True)
class Case:
    family: str
    construct: str
    dialect: str
    sql: str
    expect: list[list[Any]] | None
    refuse: dict[str, str] = field(default_factory=dict)
    ordered: bool = True
    fails: str | None = None  # the source warehouse fails it, with this in its message
    doc: str | None = None  # the vendor's reference page the case comes from

    columns: list[list[str]] | None = None  # [name, source type] per result column

    @property
    def id(self) -> str:
        words = "".join(c if c.isalnum() else "_" for c in self.construct)[:40]
        return f"{self.family}-{words}-{self.dialect}-{zlib.crc32(self.sql.encode()) % 10_000:04d}"


def load_cases(folder: Path) -> list[Case]:
    import yaml

    # libyaml's parser where PyYAML has it (the same safe constructor): the pure-Python one took
    # 0.57 s of CPU for the cases, and every pytest process loads them in three modules.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    cases: list[Case] = []
    for path in sorted(folder.glob("*.yaml")):
        for entry in yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or []:
            dialects = entry.get("dialects") or [entry.get("dialect", "redshift")]
            if "expr" in entry:
                sql = f"SELECT {entry['expr']} AS v FROM g WHERE id = {entry.get('row', 1)}"
                expect = None if "expect" not in entry else [[entry["expect"]]]
            else:
                sql, expect = entry["sql"], entry.get("expect")
            for dialect in dialects:
                cases.append(
                    Case(
                        family=path.stem,
                        construct=entry["construct"],
                        dialect=dialect,
                        sql=sql,
                        expect=expect,
                        refuse=dict(entry.get("refuse") or {}),
                        ordered=bool(entry.get("ordered", True)),
                        fails=entry.get("fails"),
                        doc=entry.get("doc"),
                        columns=_columns(entry.get("columns"), dialect),
                    )
                )
    return cases


def _columns(value: Any, dialect: str) -> list[list[str]] | None:
    """`columns:` is one list, or one per dialect (`{redshift: [...], snowflake: [...]}`)."""
    if isinstance(value, dict):
        value = value.get(dialect)
    return None if value is None else [[str(name), str(kind)] for name, kind in value]


def normalize(value: Any) -> Any:
    """One spelling for what engines answer differently: timestamps, numbers, booleans."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] in "T ":
        return value.replace("T", " ")
    return value


def _json_numbers(value: Any) -> Any:
    """A decoded document's exact decimals as JSON numbers (2.5, 10002), for json.dumps."""
    if isinstance(value, list):
        return [_json_numbers(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_numbers(v) for k, v in value.items()}
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def same(actual: Any, expected: Any, tolerance: float = 1e-6) -> bool:
    if isinstance(actual, decimal.Decimal) and isinstance(expected, str):
        return str(actual) == expected  # an exact decimal, digit for digit
    actual, expected = normalize(actual), normalize(expected)
    if isinstance(actual, list | dict) and isinstance(expected, str):
        # a SUPER/VARIANT value the driver decoded: compared as the JSON text the source prints
        actual = json.dumps(_json_numbers(actual), separators=(",", ":"))
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return math.isclose(float(actual), float(expected), rel_tol=tolerance, abs_tol=tolerance)
    return bool(actual == expected)


def same_rows(actual: list[list[Any]], expected: list[list[Any]], ordered: bool = True) -> bool:
    if len(actual) != len(expected):
        return False
    if not ordered:
        key = lambda row: [str(normalize(v)) for v in row]  # noqa: E731
        actual, expected = sorted(actual, key=key), sorted(expected, key=key)
    return all(
        len(a) == len(e) and all(same(x, y) for x, y in zip(a, e, strict=True))
        for a, e in zip(actual, expected, strict=True)
    )
