"""Workspace writes in Snowflake SQL on the emulator (pure rewrites, no server): temporary
objects named in the workspace are the session's, unqualified; MERGE's insert values read the
source; generated tables stay read-only."""

from __future__ import annotations

import pytest
from sqlglot import exp

from dwsim_query.pipeline import WorkspaceNames
from dwsim_query.writes import WriteRefused, prepare_write


def _workspace() -> WorkspaceNames:
    return WorkspaceNames(
        "workspace", "dwsim__ws_shop", lambda: {"t": {"k": "NUMBER(38,0)", "v": "TEXT"}},
        type_dialect="snowflake", source_dialect="snowflake",
    )  # fmt: skip


def _write(sql: str, workspace: WorkspaceNames) -> str:
    return prepare_write(
        sql, known=["orders"],
        resolve=lambda name: exp.table_(exp.to_identifier(name, True), db=exp.to_identifier("dwsim_shop", True)),
        schema={"orders": {"o_orderkey": "INT", "o_custkey": "INT"}}, workspace=workspace,
        qualifiers=frozenset({"public", "shop"}), catalogs=frozenset({"shop"}),
        source="snowflake", engine="snowflake",
    ).sql  # fmt: skip


def test_a_temporary_view_named_in_the_workspace_is_the_sessions() -> None:
    workspace = _workspace()
    created = _write(
        "create or replace temporary view shop.WORKSPACE.t__dbt_tmp as (select o_orderkey from shop.public.orders)",
        workspace,
    )
    assert 'TEMPORARY VIEW "t__dbt_tmp"' in created and "dwsim__ws_shop" not in created
    assert '"dwsim_shop"."orders"' in created
    merged = _write(
        "merge into shop.WORKSPACE.t as D using shop.WORKSPACE.t__dbt_tmp as S on (S.k = D.k) "
        'when matched then update set "K" = S."K" when not matched then insert ("K") values ("K")',
        workspace,
    )
    assert 'USING "t__dbt_tmp" AS "s"' in merged  # the temporary view, unqualified
    assert '"dwsim__ws_shop"."t" AS "d"' in merged
    assert 'VALUES ("s"."k")' in merged  # the source's column (Snowflake's MERGE)
    dropped = _write("drop view if exists shop.WORKSPACE.t__dbt_tmp cascade", workspace)
    assert '"t__dbt_tmp"' in dropped and "dwsim__ws_shop" not in dropped
    assert "t__dbt_tmp" not in workspace.temporary


@pytest.mark.parametrize(
    "sql",
    ["insert into orders values (1, 2)", "delete from shop.public.orders",
     "create or replace table public.orders as select 1 as a", "truncate table orders"],
)  # fmt: skip
def test_generated_tables_stay_read_only(sql: str) -> None:
    with pytest.raises(WriteRefused) as refused:
        _write(sql, _workspace())
    assert refused.value.sqlstate == "42501"
