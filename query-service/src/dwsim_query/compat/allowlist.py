"""What each engine may run: its built-ins we trust plus our function pack. After rewriting,
every function call and type in the engine's SQL must be on its list; anything else is
refused by name. Files, network, sleep, settings, sessions and catalogs are simply absent."""

from __future__ import annotations

import itertools
import re
from typing import Any

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.tokens import TokenType

from dwsim_shared.compat_packs import postgres as postgres_pack
from dwsim_shared.compat_packs import sqlite as sqlite_pack

_COMMON = """
abs ceil ceiling floor round sign sqrt power exp ln log mod coalesce nullif greatest least
lower upper trim ltrim rtrim substr substring replace length
count sum avg min max row_number rank dense_rank percent_rank cume_dist ntile lag lead
first_value last_value nth_value cast extract exists
"""
# GROUPING() with ROLLUP / CUBE / GROUPING SETS: native on PostgreSQL and DuckDB; on SQLite the
# grouping-sets expansion replaces it with literals before this check.
_GROUPING = " grouping "
_NOT_IN_SQLITE = """reverse concat stddev stddev_samp stddev_pop variance var_samp var_pop"""
SQLITE = (
    frozenset(
        (
            _COMMON
            + """
    ifnull iif instr printf format char unicode hex typeof date time datetime julianday
    strftime unixepoch group_concat total json json_extract json_array json_object json_remove
    json_array_length json_type json_valid json_quote json_each json_group_array json_group_object
    pi cos sin tan acos asin atan atan2 degrees radians log10 log2 trunc random like glob
    dwsim_value_too_large
    """
        ).split()
    )
    | sqlite_pack.PACK_FUNCTIONS
)
POSTGRES = (
    frozenset(
        (
            _COMMON
            + _NOT_IN_SQLITE
            + _GROUPING
            + """
    char_length character_length btrim lpad rpad position strpos split_part concat_ws left
    right repeat initcap quote_ident md5 ascii chr to_char to_date to_timestamp to_number date_trunc
    date_part now current_date current_timestamp localtimestamp age make_date make_timestamp
    regexp_replace regexp_substr regexp_count regexp_instr regexp_match regexp_like string_agg to_hex array_agg translate convert_to encode sha224 sha256 sha384 sha512
    array_to_string bool_and bool_or bit_and bit_or every percentile_cont percentile_disc mode trunc div
    jsonb_extract_path_text jsonb_extract_path json_extract_path_text json_extract_path
    jsonb_array_length jsonb_typeof json_typeof to_jsonb jsonb_array_elements jsonb_build_array jsonb_build_object jsonb_agg jsonb_object_keys array_remove random corr covar_pop covar_samp width_bucket
    log10 pi cos sin tan acos asin atan atan2 degrees radians cbrt octet_length
    bit_length cosh sinh tanh acosh asinh atanh cot
    regr_slope regr_intercept regr_r2 regr_count regr_avgx regr_avgy regr_sxx regr_syy regr_sxy
    bit_xor string_to_array regexp_split_to_array
    to_json json_build_array
    """
        ).split()
    )
    | postgres_pack.PACK_FUNCTIONS
)
SNOWFLAKE = frozenset(
    (
        _COMMON
        + _NOT_IN_SQLITE
        + _GROUPING
        + """
    truncate trunc div0 div0null nvl nvl2 ifnull iff nullifzero zeroifnull decode len lpad rpad
    position charindex split_part strtok concat_ws left right repeat initcap contains
    startswith endswith to_char to_varchar to_date to_timestamp to_timestamp_ntz to_number
    to_decimal to_numeric try_to_number try_to_decimal try_cast try_to_date
    try_to_timestamp date_trunc date_part dateadd datediff timeadd timestampadd
    timestampdiff year month day dayofweek dayofyear dayofmonth quarter hour minute second
    week weekofyear last_day current_date current_timestamp sysdate getdate convert_timezone
    regexp_replace regexp_substr regexp_count regexp_instr regexp_like rlike editdistance listagg
    array_agg array_to_string array_size array_construct object_construct count_if median
    mode percentile_cont percentile_disc approx_count_distinct get_path get parse_json
    flatten strftime square cbrt log10 md5 ascii chr boolor_agg booland_agg any_value
    to_boolean to_double date_from_parts time_slice json_extract_path_text sha1 sha2 translate
    strlen error to_variant
    bitand_agg bitor_agg strlen json_type
    strlen error
    sin tan variance_pop pi cos acos asin atan atan2 degrees radians random
    json_type json_extract_string to_variant
    hex_encode hex_decode_string try_hex_decode_string base64_encode base64_decode_string
    bit_length unicode insert repeat space cosh sinh tanh acosh asinh atanh cot factorial
    try_to_boolean bitand bitor bitnot
    corr covar_pop covar_samp regr_slope regr_intercept regr_r2 regr_count regr_avgx regr_avgy
    regr_sxx regr_syy regr_sxy arg_min_null arg_max_null bitxor_agg kurtosis skew
    from_json json to_json list_contains list_position list_append list_prepend list_concat
    list_filter list_reverse list_slice list_value
    json_keys list_sort list_has_any
    string_split regexp_split_to_array
    list_transform list_extract list_zip struct_extract range map_entries map_from_entries
    map_concat list_sum list
    list_count list_reduce list_bool_or json_array
    list_avg list_min list_max regexp_extract_all regexp_matches array_to_string
    object_construct_keep_null
    """
    ).split()
)
ALLOWED = {"sqlite": SQLITE, "postgres": POSTGRES, "snowflake": SNOWFLAKE}

T = exp.DataType.Type
_TYPES = frozenset(
    exp.DataType.NUMERIC_TYPES
    | exp.DataType.TEXT_TYPES
    | exp.DataType.TEMPORAL_TYPES
    | {T.BOOLEAN, T.INTERVAL, T.UNKNOWN, T.NULL}
)
TYPES = {
    "sqlite": _TYPES,
    "postgres": _TYPES | {T.JSON, T.JSONB},
    "snowflake": _TYPES | {T.VARIANT, T.OBJECT, T.ARRAY, T.JSON, T.MAP},
}

_LEADING = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_$]*)\s*\(")


# Words followed by "(" in generated SQL that are syntax, not calls.
SYNTAX = frozenset(
    [
        "in",
        "exists",
        "over",
        "as",
        "values",
        "using",
        "on",
        "and",
        "or",
        "not",
        "when",
        "then",
        "else",
        "from",
        "join",
        "select",
        "where",
        "by",
        "filter",
        "group",
        "within",
        "lateral",
        "all",
        "any",
        "some",
        "row",
        "rows",
        "range",
        "between",
        "like",
        "ilike",
        "is",
        "distinct",
        "with",
        "union",
        "intersect",
        "except",
        "case",
        "end",
        "partition",
        "order",
        "limit",
        "qualify",
        "having",
        "table",
        "into",
        "if",
    ]
)


def function_name(node: exp.Func, dialect: str) -> str | None:
    """The name the engine will be asked to call for this node (None: not a call)."""
    if isinstance(node, exp.Anonymous):
        return node.name.lower()
    # AND / OR: its text starts with its left operand; CASE (x) WHEN ...: syntax, not a call
    if isinstance(node, exp.Connector | exp.Case):
        return None
    match = _LEADING.match(node.sql(dialect=dialect, copy=False))
    return match.group(1).lower() if match else None


def called_names(sql: str, dialect: str) -> set[str]:
    """Every unquoted name followed by "(" in the engine's SQL."""
    # StrictSQLite differs from SQLite only in how it quotes names.
    tokens = Dialect.get_or_raise("sqlite" if dialect == "strictsqlite" else dialect).tokenize(sql)
    return {
        token.text.lower()
        for token, following in itertools.pairwise(tokens)
        if following.token_type == TokenType.L_PAREN
        and token.token_type not in (TokenType.IDENTIFIER, TokenType.STRING)
        and token.text.lower() not in SYNTAX
    }


def unknown_constructs(
    tree: exp.Expression, engine: str, dialect: str, sql: str | None = None
) -> list[exp.Expression]:
    """Nodes the engine would be asked to run that are not on its list, outermost first.

    With the engine's `sql`, the names it calls are read from its tokens first, and the tree
    is searched node by node (the slow way) only when one of them is off the list."""
    allowed, types = ALLOWED[engine], TYPES[engine]
    if sql is not None and called_names(sql, dialect) <= allowed:
        return [
            n for n in tree.walk()
            if (isinstance(n, exp.Anonymous) and n.name.lower() not in allowed)
            or (isinstance(n, exp.DataType) and n.this not in types)
        ]  # fmt: skip
    found: list[Any] = []
    for node in tree.walk():
        if isinstance(node, exp.Func):
            name = function_name(node, dialect)
            if name is not None and name not in allowed:
                found.append(node)
        elif isinstance(node, exp.DataType) and node.this not in types:
            found.append(node)
    return found
