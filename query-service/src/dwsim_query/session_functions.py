"""What the simulated Snowflake warehouse answers for its context functions (CURRENT_DATABASE,
CURRENT_SCHEMA, ...): the same values through the query call and the Snowflake endpoint, so
a query answers alike on every engine. The endpoint answers them for its own session (its
user and current schema) before the pipeline; the query call answers them here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

from sqlglot import exp

from dwsim_query.compat.nodes import Refusal

WAREHOUSE = "DWSIM"
ROLE = "PUBLIC"  # the one role a session has (Snowflake's role every user holds)
ACCOUNT = "DWSIM"
REGION = "DWSIM"
VERSION = "9.0.0"
SCHEMA = "PUBLIC"  # the generated tables' schema, as clients name it

# The functions by their parsed node (Snowflake's SQL).
NODES: dict[type[exp.Expr], str] = {
    exp.CurrentDatabase: "CURRENT_DATABASE",
    exp.CurrentSchema: "CURRENT_SCHEMA",
    exp.CurrentRole: "CURRENT_ROLE",
    exp.CurrentWarehouse: "CURRENT_WAREHOUSE",
    exp.CurrentUser: "CURRENT_USER",
    exp.CurrentAccount: "CURRENT_ACCOUNT",
    exp.CurrentRegion: "CURRENT_REGION",
    exp.CurrentVersion: "CURRENT_VERSION",
}


def snowflake_session(
    database: str, schema: str = SCHEMA, user: str | None = None
) -> dict[str, str]:
    """The answers of one session of the experiment `database` (no user: the query call has
    none, so CURRENT_USER is refused there)."""
    values = {
        "CURRENT_DATABASE": database.upper(),
        "CURRENT_SCHEMA": schema,
        "CURRENT_ROLE": ROLE,
        "CURRENT_WAREHOUSE": WAREHOUSE,
        "CURRENT_ACCOUNT": ACCOUNT,
        "CURRENT_REGION": REGION,
        "CURRENT_VERSION": VERSION,
    }
    if user is not None:
        values["CURRENT_USER"] = user.upper()
    return values


def answer_session_functions(
    tree: exp.Expression, values: Mapping[str, str] | None
) -> exp.Expression:
    """Each context function as the string it answers; one without an answer here is refused
    by name (the engine's own CURRENT_DATABASE names its scratch database, not the experiment)."""
    for found in list(tree.find_all(*NODES)):
        node = cast(exp.Expression, found)
        name = NODES[type(node)]
        if node.args.get("this") is not None or node.expressions:
            raise Refusal(f"{name} with arguments", node)
        answer = (values or {}).get(name)
        if answer is None:
            why = (
                "the query call has no user (the Snowflake endpoint answers its session's)"
                if name == "CURRENT_USER" and values
                else "the session context is answered by the query call and the Snowflake endpoint"
            )
            raise Refusal(name, node, why)
        literal = exp.Literal.string(answer)
        if node is tree:
            return literal
        node.replace(literal)
    return tree
