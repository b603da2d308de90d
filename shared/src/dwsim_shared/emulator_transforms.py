"""fakesnow's statement rewrite, without the walks that cannot change a query.

fakesnow rewrites every statement into DuckDB's SQL with 76 whole-tree walks, one per transform
(`FakeSnowflakeCursor._transform`): most of what a short query costs the emulator, for the
walks themselves (each visits every node) far more than for the transforms. 27 of them act
only on a statement of another kind (CREATE, ALTER, DROP, USE, SET, SHOW, PUT, LIST, a
command), which a query (SELECT, a set operation) never holds. On a query those 27 are skipped;
every other transform runs in fakesnow's order, on the same tree, with a walk equal to
sqlglot's `Expr.transform(fn, copy=False)` (the same nodes in the same order, a replaced node's
old children not visited) without its generators. Any other statement runs fakesnow's own.

`STEPS` repeats fakesnow's list; `tests` compare it with fakesnow's source, so an upgrade that
changes the list fails there instead of rewriting differently.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Literal

import fakesnow.cursor
import fakesnow.dialect
import fakesnow.server
import fakesnow.transforms as transforms
import sqlglot
from fakesnow.cursor import FakeSnowflakeCursor
from sqlglot import Expr, exp

Transform = Callable[[Expr], Expr]
_original = FakeSnowflakeCursor._transform

# The transforms that act only on a statement that is not a query (fakesnow's checks, at the
# top of each: exp.Create, Alter, Drop, Use, Set, Show, Command, Put, ListStage).
STATEMENT_ONLY = frozenset(
    {
        "alter_session", "update_variables", "set_schema", "create_database",
        "extract_comment_on_table", "extract_comment_on_columns", "drop_schema_cascade", "tag",
        "show_databases", "show_functions", "show_procedures", "show_parameters",
        "show_warehouses", "show_schemas", "show_tables_etc", "show_columns", "show_stages",
        "show_sequences", "show_keys", "show_users", "create_user", "create_clone",
        "alter_table_strip_cluster_by", "create_stage", "create_file_format", "list_stage",
        "put_stage", "create_table_as",
    }
)  # fmt: skip


Maker = Callable[[FakeSnowflakeCursor, Any], Transform]


def _plain(name: str) -> Maker:
    return lambda cur, params: lambda e: getattr(transforms, name)(e)


def _in_schema(name: str) -> Maker:
    """A transform that takes the session's database and schema."""
    return lambda cur, params: (
        lambda e: getattr(transforms, name)(e, cur._conn.database, cur._conn.schema)
    )


def _keys(kind: Literal["PRIMARY", "UNIQUE", "FOREIGN"]) -> Maker:
    return lambda cur, params: lambda e: transforms.show_keys(e, cur._conn.database, kind=kind)


def _plain_steps(*names: str) -> list[tuple[str, Maker]]:
    return [(name, _plain(name)) for name in names]


# fakesnow's transforms in its order: (name, the transform for a cursor and a statement's params).
STEPS: list[tuple[str, Maker]] = [
    ("identifier", lambda cur, params: lambda e: transforms.identifier(e, params)),
    *_plain_steps("upper_case_unquoted_identifiers", "alter_session"),
    (
        "update_variables",
        lambda cur, params: lambda e: transforms.update_variables(e, variables=cur._conn.variables),
    ),
    *_plain_steps("current_version"),
    (
        "set_schema",
        lambda cur, params: lambda e: transforms.set_schema(e, current_database=cur._conn.database),
    ),
    (
        "create_database",
        lambda cur, params: lambda e: transforms.create_database(e, db_path=cur._conn.db_path),
    ),
    *_plain_steps(
        "extract_comment_on_table", "extract_comment_on_columns", "information_schema_fs"
    ),
    (
        "information_schema_databases",
        lambda cur, params: (
            lambda e: transforms.information_schema_databases(e, current_schema=cur._conn.schema)
        ),
    ),
    *_plain_steps(
        "drop_schema_cascade",
        "tag",
        "semi_structured_types",
        "try_parse_json",
        "split",
        "trim_cast_varchar",
        "indices_to_json_extract",
        "json_extract_cast_as_varchar",
        "json_extract_cased_as_varchar",
        "json_extract_precedence",
        "flatten_value_cast_as_varchar",
        "flatten",
        "regex_replace",
        "regex_substr",
        "result_scan",
        "sequence_nextval",
        "values_columns",
        "to_date",
        "timestamp_offsets",
        "to_decimal",
        "to_timestamp",
        "to_variant",
        "object_construct",
        "timestamp_ntz",
        "float_to_double",
        "integer_precision",
        "extract_text_length",
        "sample",
        "array_size",
        "random",
        "array_agg_within_group",
        "array_agg",
        "object_agg",
        "array_construct_etc",
        "dateadd_date_cast",
        "dateadd_string_literal_timestamp_cast",
        "datediff_string_literal_timestamp_cast",
        "show_databases",
        "show_functions",
        "show_procedures",
        "show_parameters",
        "show_warehouses",
    ),
    ("show_schemas", lambda cur, params: lambda e: transforms.show_schemas(e, cur._conn.database)),
    ("show_tables_etc", _in_schema("show_tables_etc")),
    ("show_columns", _in_schema("show_columns")),
    ("show_stages", _in_schema("show_stages")),
    ("show_sequences", _in_schema("show_sequences")),
    ("show_keys", _keys("PRIMARY")),
    ("show_keys", _keys("UNIQUE")),
    ("show_keys", _keys("FOREIGN")),
    *_plain_steps(
        "show_users",
        "create_user",
        "haversine",
        "hex_string",
        "sha256",
        "create_clone",
        "alias_in_join",
        "alias_in_where",
        "alter_table_strip_cluster_by",
        "numeric_agg_implicit_cast",
    ),
    ("create_stage", _in_schema("create_stage")),
    ("create_file_format", _in_schema("create_file_format")),
    (
        "list_stage",
        lambda cur, params: (
            lambda e: transforms.list_stage(
                e, cur._conn.database, cur._conn.schema, cur._conn.table_stages
            )
        ),
    ),
    (
        "put_stage",
        lambda cur, params: (
            lambda e: transforms.put_stage(
                e, cur._conn.database, cur._conn.schema, params, cur._conn.table_stages
            )
        ),
    ),
    (
        "create_table_as",
        lambda cur, params: lambda e: transforms.create_table_as(e, cur._duck_conn),
    ),
]
QUERY_STEPS = [(name, make) for name, make in STEPS if name not in STATEMENT_ONLY]


def walk(root: Expr, fun: Transform) -> Expr:
    """`root.transform(fun, copy=False)`, without generators: pre-order, children in the order
    of their arguments, a node `fun` replaced set in its parent and not descended into."""
    stack = [root]
    pop, push = stack.pop, stack.append
    result: Any = None
    while stack:
        node = pop()
        parent, arg_key, index = node.parent, node.arg_key, node.index
        new_node = fun(node)
        if not result:
            result = new_node
        elif parent and arg_key and new_node is not node:
            parent.set(arg_key, new_node, index)
        if new_node is not node:
            continue
        for value in reversed(node.args.values()):
            if type(value) is list:
                for item in reversed(value):
                    if isinstance(item, Expr):
                        push(item)
            elif isinstance(value, Expr):
                push(value)
    assert result
    return result


def transform(cursor: FakeSnowflakeCursor, expression: Expr, params: Any) -> Expr:
    """What `FakeSnowflakeCursor._transform` makes of `expression`, for less."""
    if not isinstance(expression, exp.Query):
        return _original(cursor, expression, params)
    for _name, make in QUERY_STEPS:
        expression = walk(expression, make(cursor, params))
    return expression


# A statement's parse, remembered: the emulator parsed each statement's text three times (the
# confinement check, fakesnow's server to type the statement, fakesnow's cursor to run it),
# about a fifth of what a short query cost it. A copy of a remembered tree costs about a third
# of a parse; every use gets its own copy (fakesnow's rewrite changes the tree in place).
PARSES_KEPT = 256
_parses: OrderedDict[str, Expr] = OrderedDict()
_parses_lock = threading.Lock()


def _kept(sql: str) -> Expr | None:
    with _parses_lock:
        tree = _parses.get(sql)
        if tree is not None:
            _parses.move_to_end(sql)
    return tree


def _keep(sql: str, tree: Expr) -> None:
    with _parses_lock:
        _parses[sql] = tree
        while len(_parses) > PARSES_KEPT:
            _parses.popitem(last=False)


def parse_one(command: str) -> Expr:
    """fakesnow's `parse_one` (Snowflake SQL, its syntax errors), from the memo when it can."""
    tree = _kept(command)
    if tree is None:
        tree = fakesnow.dialect.parse_one(command)
        _keep(command, tree)
    return tree.copy()


def parse_statements(sql: str) -> list[Expr]:
    """`sqlglot.parse(sql, read="snowflake")` without its empty statements (raises sqlglot's
    ParseError); a text of one statement is remembered for `parse_one`."""
    tree = _kept(sql)
    # (parse_one answers a Block for several statements: never taken for one statement here)
    if tree is not None and not isinstance(tree, exp.Block):
        return [tree.copy()]
    parsed = sqlglot.parse(sql, read="snowflake")
    statements = [s for s in parsed if s is not None]
    if len(statements) == 1 and parsed[0] is not None:  # the tree parse_one answers
        _keep(sql, statements[0].copy())
    return statements


def install() -> None:
    """fakesnow's cursors rewrite with `transform`, and its server and cursors parse through
    the memo (in the emulator's process)."""
    FakeSnowflakeCursor._transform = transform  # type: ignore[method-assign,assignment]
    fakesnow.server.parse_one = parse_one  # type: ignore[attr-defined]
    fakesnow.cursor.parse_one = parse_one
