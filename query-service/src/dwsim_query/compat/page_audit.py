"""What the Snowflake reference pages print, where an engine answered otherwise without an error
(the h16auditsf audit, golden/cases/audit_snowflake_pages.yaml):

- a cast of text to VARCHAR(n) / CHAR(n) fails when the text is longer than n ("String 'ABCD' is
  too long and would be truncated"; TRY_CAST answers NULL, the try_cast page): SQLite and the
  emulator ignored the length, PostgreSQL truncated (and padded a CHAR);
- DATE_PART of a DATE in epoch_millisecond / _microsecond / _nanosecond fails (the date_part
  page's usage notes); the emulator answered;
- ARRAY_AGG leaves NULLs out and answers an empty ARRAY for no rows (array_agg page); the
  emulator kept NULLs under WITHIN GROUP, both answered NULL for no rows, the Redshift mock failed
  WITHIN GROUP with a syntax error;
- ARRAY_TO_STRING writes a string element without its quotes and a NULL element as an empty
  string (array_to_string page): the emulator quoted strings and skipped NULLs;
- CONCAT and `||` write a boolean as true / false and a NUMBER with its scale (concat page, and
  TO_VARCHAR): SQLite wrote 1 / 0 and 10.5 for a DECIMAL(10, 2) holding 10.50.
"""

from __future__ import annotations

from sqlglot import exp

from dwsim_query.compat.arrays import _array, _elements, _lambda
from dwsim_query.compat.nodes import Refusal, call, cast, failure, is_date, is_text, text, type_of
from dwsim_query.compat.registry import Rewrite, rewrite

T = exp.DataType.Type
CHARACTER_TYPES = (T.VARCHAR, T.CHAR, T.NCHAR, T.NVARCHAR)
EPOCH_SUBSECONDS = ("EPOCH_MILLISECOND", "EPOCH_MICROSECOND", "EPOCH_NANOSECOND")
_CHECKED = "dwsim_length_checked"


def _length(to: exp.DataType) -> int | None:
    if not to.expressions:
        return None
    param = to.expressions[0]
    value = param.this if isinstance(param, exp.DataTypeParam) else param
    if isinstance(value, exp.Literal) and value.is_int:
        return int(value.this)
    return None


def _text_lengths(engine: str) -> Rewrite:
    def fn(node: exp.Expression) -> exp.Expression:
        if type(node) not in (exp.Cast, exp.TryCast) or node.meta.get(_CHECKED):
            return node
        to = node.args["to"]
        if not isinstance(to, exp.DataType) or to.this not in CHARACTER_TYPES:
            return node
        size = _length(to)
        value = node.this
        literal = isinstance(value, exp.Literal) and value.is_string
        if size is None or not (literal or is_text(value)):
            return node
        kept = node.copy()
        kept.meta[_CHECKED] = True
        if engine == "postgres" and to.this != T.VARCHAR:
            # PostgreSQL pads a CHAR(n); Snowflake's CHAR is a VARCHAR
            kept.set("to", exp.DataType.build(f"VARCHAR({size})"))
        if literal and len(str(value.this)) <= size:
            return kept
        too_long = exp.GT(this=exp.Length(this=value.copy()), expression=exp.Literal.number(size))
        if type(node) is exp.TryCast:
            answer: exp.Expression = exp.Null()
        else:
            said = f"a string cast to {to.this.value}({size}) is too long and would be truncated"
            answer = cast(failure(engine, said), "VARCHAR")
        case = exp.Case(ifs=[exp.If(this=too_long, true=answer)], default=kept)
        case.type = kept.args["to"]
        return case

    return fn


def _epoch_of_date(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Extract) and is_date(node.expression):
        part = node.this.name.upper()
        if part in EPOCH_SUBSECONDS:
            raise Refusal(
                f"DATE_PART({part.lower()}) of a DATE",
                node,
                "Snowflake supports it for timestamps only",
            )
    return node


def _array_agg_parts(node: exp.Expression) -> tuple[exp.Expression, exp.Expression | None] | None:
    """An ARRAY_AGG this module rewrites, and its WITHIN GROUP ordering (None: another node, or
    one inside a window, a FILTER or ARRAY_TO_STRING, which keep the engine's own)."""
    order = None
    agg = node
    if isinstance(node, exp.WithinGroup) and isinstance(node.this, exp.ArrayAgg):
        agg, order = node.this, node.expression
    elif not isinstance(node, exp.ArrayAgg) or isinstance(node.parent, exp.WithinGroup):
        return None
    if isinstance(node.parent, exp.Window | exp.Filter | exp.ArrayToString):
        return None
    return agg, order


def _array_agg_postgres(node: exp.Expression) -> exp.Expression:
    """ARRAY_AGG(x) [WITHIN GROUP (ORDER BY ...)] as JSONB_AGG without NULLs, [] for no rows."""
    parts = _array_agg_parts(node)
    if parts is None:
        return node
    agg, order = parts
    value = agg.this
    plain = value.expressions[0] if isinstance(value, exp.Distinct) else value
    argument: exp.Expression = value.copy()
    if order is not None:
        argument = exp.Order(this=argument, expressions=[o.copy() for o in order.expressions])
    built = exp.Filter(
        this=call("JSONB_AGG", argument),
        expression=exp.Where(this=exp.Not(this=exp.Is(this=plain.copy(), expression=exp.Null()))),
    )
    return exp.Coalesce(this=built, expressions=[cast(text("[]"), "JSONB")])


def _array_agg_emulator(node: exp.Expression) -> exp.Expression:
    """ARRAY_AGG as DuckDB's LIST without NULLs, as JSON ([] for no rows): fakesnow's own
    rewrite of WITHIN GROUP kept the NULLs, and its ARRAY_AGG answered NULL for no rows."""
    parts = _array_agg_parts(node)
    if parts is None:
        return node
    agg, order = parts
    argument: exp.Expression = agg.this.copy()
    if order is not None:
        argument = exp.Order(this=argument, expressions=[o.copy() for o in order.expressions])
    kept = _lambda(lambda x: exp.Not(this=exp.Is(this=x, expression=exp.Null())), "dwsim_x")
    listed = call("list_filter", call("LIST", argument), kept)
    return exp.Coalesce(this=call("TO_JSON", listed), expressions=[call("JSON", text("[]"))])


def _element_text(x: exp.Expression) -> exp.Expression:
    """One element as TO_VARCHAR writes it: a string without quotes, NULL as ''."""
    kind = call("json_type", x.copy())
    return exp.Case(
        ifs=[
            exp.If(this=exp.Is(this=x.copy(), expression=exp.Null()), true=text("")),
            exp.If(this=exp.EQ(this=kind, expression=text("VARCHAR")),
                   true=call("json_extract_string", x.copy(), text("$"))),
            exp.If(this=exp.EQ(this=kind.copy(), expression=text("DOUBLE")),
                   true=cast(cast(x.copy(), "DOUBLE"), "VARCHAR")),
        ],
        default=cast(x.copy(), "VARCHAR"),
    )  # fmt: skip


def _array_to_string(engine: str) -> Rewrite:
    def fn(node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.ArrayToString) or isinstance(
            node.this, exp.WithinGroup | exp.ArrayAgg
        ):
            return node  # LISTAGG's and the engines' own arrays (aggregates.py)
        if engine == "postgres":
            raise Refusal(
                "ARRAY_TO_STRING of an ARRAY other than ARRAY_AGG(...)", node,
                "the mock writes elements as JSON",
            )  # fmt: skip
        document = _array(node.this, engine, "ARRAY_TO_STRING", node)
        separator = node.expression
        if isinstance(document, exp.Null) or isinstance(separator, exp.Null):
            return exp.Null()
        written = call(
            "list_transform", _elements(document, "ARRAY_TO_STRING"),
            _lambda(_element_text, "dwsim_x"),
        )  # fmt: skip
        either = exp.Or(
            this=exp.Is(this=document.copy(), expression=exp.Null()),
            expression=exp.Is(this=separator.copy(), expression=exp.Null()),
        )
        joined = exp.ArrayToString(this=written, expression=separator.copy())
        return exp.Case(ifs=[exp.If(this=either, true=exp.Null())], default=joined)

    return fn


for _engine in ("postgres", "snowflake"):
    rewrite("semistructured", sources=["snowflake"], engines=[_engine])(_array_to_string(_engine))


@rewrite("aggregates", sources=["snowflake"], engines=["postgres"])
def array_agg_postgres(node: exp.Expression) -> exp.Expression:
    return _array_agg_postgres(node)


@rewrite("aggregates", sources=["snowflake"], engines=["snowflake"])
def array_agg_emulator(node: exp.Expression) -> exp.Expression:
    return _array_agg_emulator(node)


for _engine in ("sqlite", "postgres", "snowflake"):
    rewrite("conditionals", sources=["snowflake"], engines=[_engine], first=True)(
        _text_lengths(_engine)
    )
rewrite("dates", sources=["snowflake"], engines=["snowflake"], first=True)(_epoch_of_date)


def _scale(node: exp.Expression) -> int | None:
    """The scale of a DECIMAL-typed operand, or of a literal written with one (1.50)."""
    if isinstance(node, exp.Literal) and not node.is_string and "." in str(node.this):
        written = str(node.this)
        return None if "e" in written.lower() else len(written.split(".")[1])
    kind = node.type
    if isinstance(kind, exp.DataType) and kind.this == T.DECIMAL and len(kind.expressions) == 2:
        scale = kind.expressions[1]
        value = scale.this if isinstance(scale, exp.DataTypeParam) else scale
        if isinstance(value, exp.Literal) and value.is_int:
            return int(value.this)
    return None


def _as_text_sqlite(value: exp.Expression) -> exp.Expression:
    """A boolean as true / false, a NUMBER with its scale, as TO_VARCHAR writes them (SQLite
    wrote 1 / 0 and 10.5 for 10.50)."""
    if type_of(value) == T.BOOLEAN:
        return exp.Case(
            ifs=[exp.If(this=exp.Paren(this=value.copy()), true=text("true")),
                 exp.If(this=exp.Not(this=exp.Paren(this=value.copy())), true=text("false"))],
        )  # fmt: skip
    scale = _scale(value)
    if scale is not None and scale > 0:
        if isinstance(value, exp.Literal):
            return text(str(value.this))
        written = call("printf", text(f"%.{scale}f"), value.copy())
        missing = exp.Is(this=value.copy(), expression=exp.Null())
        return exp.Case(ifs=[exp.If(this=missing, true=exp.Null())], default=written)
    return value


def _concat_operands(engine: str) -> Rewrite:
    def fn(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Concat):
            operands = node.expressions
        elif isinstance(node, exp.DPipe):
            operands = [node.this, node.expression]
        else:
            return node
        for operand in operands:
            inner = operand
            if engine == "sqlite":
                inner = _as_text_sqlite(operand)
            if isinstance(inner, exp.Binary | exp.Not | exp.Is) and not isinstance(
                inner, exp.DPipe
            ):
                inner = exp.Paren(this=inner.copy())  # `i = 7 || 'x'` compared i with '7x'
            if inner is not operand:
                operand.replace(inner)
        return node

    return fn


for _engine in ("sqlite", "postgres", "snowflake"):
    rewrite("strings", sources=["snowflake"], engines=[_engine])(_concat_operands(_engine))


@rewrite("strings", sources=["snowflake"], engines=["sqlite"])
def decimal_text_sqlite(node: exp.Expression) -> exp.Expression:
    """CAST(n AS VARCHAR) of a DECIMAL(p, s) keeps its s digits (SQLite holds a REAL)."""
    if type(node) is not exp.Cast or node.to.this not in (*CHARACTER_TYPES, T.TEXT):
        return node
    written = _as_text_sqlite(node.this)
    return node if written is node.this else written


@rewrite("aggregates", sources=["snowflake"], first=True)
def approx_count_distinct_columns(node: exp.Expression) -> exp.Expression:
    """APPROX_COUNT_DISTINCT(x, y) counts the distinct (x, y) pairs; the parser read y as an
    accuracy and dropped it (every engine counted x alone)."""
    if isinstance(node, exp.ApproxDistinct) and node.args.get("accuracy") is not None:
        raise Refusal("APPROX_COUNT_DISTINCT of several columns", node)
    return node


@rewrite("strings", sources=["snowflake"])
def reverse_of_non_text(node: exp.Expression) -> exp.Expression:
    """REVERSE of a date or a number reverses its text ('2019-05-22' -> '22-50-9102', the
    reverse page); the Redshift mock has no REVERSE of a DATE."""
    if not isinstance(node, exp.Reverse):
        return node
    value = node.this
    kind = type_of(value)
    if kind is None or kind in exp.DataType.TEXT_TYPES or kind in (T.UNKNOWN, T.NULL):
        return node
    if kind in (T.DATE, *exp.DataType.NUMERIC_TYPES) and not _scale(value):
        value.replace(cast(value.copy(), "VARCHAR"))
        return node
    raise Refusal("REVERSE of a value that is not text, a date or an integer", node)


@rewrite("aggregates", sources=["snowflake"], first=True)
def count_of_rows_without_nulls(node: exp.Expression) -> exp.Expression:
    """COUNT(t.*) and COUNT(x, y) count the rows without a NULL in those columns (the count
    page); no engine here reads them so."""
    if not isinstance(node, exp.Count):
        return node
    value = node.this
    if isinstance(value, exp.Column) and isinstance(value.this, exp.Star):
        raise Refusal("COUNT(alias.*)", node, "it counts the rows that hold no NULL")
    if node.expressions:
        raise Refusal("COUNT of several columns", node, "it counts the rows that hold no NULL")
    return node


def _distinct_of_several(node: exp.Expression) -> bool:
    return (
        isinstance(node, exp.Count)
        and isinstance(node.this, exp.Distinct)
        and len(node.this.expressions) > 1
    )


@rewrite("aggregates", sources=["snowflake"], engines=["sqlite"], first=True)
def count_distinct_columns_sqlite(node: exp.Expression) -> exp.Expression:
    """COUNT(DISTINCT x, y) counts the distinct combinations without a NULL (the count page);
    SQLite's COUNT takes one argument (it failed with its own words)."""
    if _distinct_of_several(node):
        raise Refusal("COUNT(DISTINCT ...) of several columns", node)
    return node


@rewrite("aggregates", sources=["redshift"], first=True)
def count_distinct_columns_redshift(node: exp.Expression) -> exp.Expression:
    """Redshift's COUNT takes one expression (r_COUNT: `COUNT ( [ DISTINCT | ALL ] expression
    )`): Redshift fails COUNT(DISTINCT x, y), which the mock and the emulator answered."""
    if _distinct_of_several(node):
        raise Refusal(
            "COUNT(DISTINCT ...) of several columns", node, "Redshift's COUNT takes one expression"
        )
    return node
