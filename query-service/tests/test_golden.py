"""Golden cases (construct x argument forms x dialect) on every engine: each answers the
source warehouse's value, fails where the source fails, or is refused with a message naming
the construct."""

from __future__ import annotations

import re

import pytest

from dwsim_query.compat.cases import load_cases, same_rows
from dwsim_shared.errors import BadRequest

from .conftest import GOLDEN, GoldenEngine

pytestmark = pytest.mark.integration
CASES = load_cases(GOLDEN / "cases")
LIBRARY_NAMES = re.compile(r"sqlglot|<class|psycopg2|snowflake\.connector|Expression")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_golden_case(golden_engine: GoldenEngine, case) -> None:  # type: ignore[no-untyped-def]
    refusal = case.refuse.get(golden_engine.name)
    if refusal is not None:
        with pytest.raises(BadRequest) as caught:
            golden_engine.run(case.sql, case.dialect)
        assert refusal.lower() in caught.value.message.lower(), caught.value.message
        assert not LIBRARY_NAMES.search(caught.value.message), caught.value.message
        return
    if case.fails is not None:  # the source fails it: an answer here would be a wrong one
        with pytest.raises(BadRequest) as caught:
            rows = golden_engine.run(case.sql, case.dialect)
            raise AssertionError(f"{golden_engine.name} answered {rows}; the source fails")
        assert case.fails.lower() in caught.value.message.lower(), caught.value.message
        assert not LIBRARY_NAMES.search(caught.value.message), caught.value.message
        return
    if case.columns is not None:
        prepared = golden_engine.prepared(case.sql, case.dialect)
        assert [[c.name, c.type] for c in prepared.columns] == case.columns
        if case.expect is None:  # a case about names and types only
            return
    rows = golden_engine.run(case.sql, case.dialect)
    assert same_rows(rows, case.expect, case.ordered), (
        f"{golden_engine.name} answered {rows}, the source answers {case.expect}\n"
        f"engine SQL: {golden_engine.engine_sql(case.sql, case.dialect)}"
    )
