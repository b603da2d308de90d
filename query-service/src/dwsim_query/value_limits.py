"""A limit on every value a query builds (issue 14, D2): the calls that make a value larger
than their arguments (REPEAT, LPAD/RPAD, SPACE, REPLACE, REGEXP_REPLACE, and concatenation in a recursive CTE,
which doubles a value per step) are checked so no value they build passes the limit.

Arguments known when the query is read (literals) are checked then; otherwise the call is
wrapped as `CASE WHEN <size of the result> > limit THEN <fail> ELSE <call> END`: the size is
computed from the arguments (cheap, no value built), and `<fail>` is an engine expression that
raises an error carrying `VALUE_TOO_LARGE` and the message, which the warehouse adapters answer
as `QueryTooLarge` (400). The call itself is untouched, so an answer within the limit is the
engine's own.

Why on every engine, and why smaller on the emulator: SQLite bounds every value itself
(SQLITE_LIMIT_LENGTH) and the Redshift mock every row it sends, but a PostgreSQL backend builds
a 1 GB value before that check, and DuckDB (under the emulator) builds 2,048 rows of a vector
before anything can interrupt it, so there a value-growing call over many rows takes 2,048 times
its value. The emulator's budget `DWSIM_EMULATOR_VALUE_MAX_BYTES` is shared among the growing
calls of a statement, so one vector of them stays within 2,048 times that budget.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from dwsim_query.compat.nodes import call, text
from dwsim_query.compat.registry import engine_labels, origin_of
from dwsim_shared.errors import BadRequest, QueryTooLarge
from dwsim_shared.warehouses.base import VALUE_TOO_LARGE

# The most nodes one checked call may grow to (its size expression copies its arguments, so
# nested growing calls multiply): beyond it the query is refused rather than translated.
MAX_CHECKED_NODES = 20_000


@dataclass(frozen=True)
class ValueLimits:
    """The per-value limit (`DWSIM_QUERY_VALUE_MAX_BYTES`) and the emulator's budget for the
    values of one vector (`DWSIM_EMULATOR_VALUE_MAX_BYTES`)."""

    value_max_bytes: int
    emulator_value_max_bytes: int

    @classmethod
    def of(cls, settings: Any) -> ValueLimits:
        return cls(settings.query_value_max_bytes, settings.emulator_value_max_bytes)


@dataclass(frozen=True)
class _Limit:
    engine: str
    bytes: int
    setting: str
    shared_by: int

    def describe(self) -> str:
        shared = (
            f", shared by this statement's {self.shared_by} value-growing calls"
            if self.shared_by > 1
            else ""
        )
        return f"the limit of {self.bytes:,} bytes per value ({self.setting}{shared})"


def _name(node: exp.Expression) -> str:
    if isinstance(node, exp.Anonymous):
        return node.name.upper()
    if isinstance(node, exp.Pad):
        return "LPAD" if node.args.get("is_left") else "RPAD"
    if isinstance(node, exp.DPipe | exp.Concat):
        return "|| (concatenation in a recursive CTE)"
    return node.key.upper()


def _where(node: exp.Expression) -> str:
    found = origin_of(node)
    return f" (line {found[1]}, column {found[2]})" if found else ""


# The size in bytes of a value as each engine counts it.
def _nbytes(engine: str, value: exp.Expression) -> exp.Expression:
    value = value.copy()
    if engine == "sqlite":  # characters: SQLite's own length limit counts the bytes
        return call("LENGTH", exp.cast(value, exp.DataType.build("TEXT")))
    if engine == "postgres":
        return call("OCTET_LENGTH", exp.cast(value, exp.DataType.build("TEXT")))
    return call("STRLEN", exp.cast(value, exp.DataType.build("VARCHAR")))


def _fail(engine: str, message: str, size: exp.Expression) -> exp.Expression:
    """An expression that raises an error carrying `message`, evaluated only when its CASE
    branch is taken (not folded away, nor into an error, when the query is planned)."""
    said = text(f"{VALUE_TOO_LARGE}: {message}")
    if engine == "sqlite":
        return call("dwsim_value_too_large", said)  # the pack's, raising in Python
    if engine == "postgres":  # text that is no integer, built from the row: a runtime error
        built = exp.DPipe(this=said, expression=exp.cast(size, exp.DataType.build("TEXT")))
        as_int = exp.cast(exp.paren(built, copy=False), exp.DataType.build("INT"))
        return exp.cast(as_int, exp.DataType.build("TEXT"))
    return call("ERROR", said)  # DuckDB's, under the emulator


def _literal_int(node: exp.Expression | None) -> int | None:
    if isinstance(node, exp.Neg):
        inner = _literal_int(node.this)
        return None if inner is None else -inner
    if isinstance(node, exp.Literal) and not node.is_string:
        try:
            return int(float(node.this))
        except ValueError:
            return None
    return None


def _literal_text(node: exp.Expression | None) -> str | None:
    return node.this if isinstance(node, exp.Literal) and node.is_string else None


def _static_size(node: exp.Expression) -> int | None:
    """The result's size in bytes (or characters, for pads) when the arguments say it."""
    if isinstance(node, exp.Repeat):
        times, value = _literal_int(node.args.get("times")), _literal_text(node.this)
        if times is not None and value is not None:
            return len(value.encode()) * max(times, 0)
        return None
    if isinstance(node, exp.Space):
        count = _literal_int(node.this)
        return None if count is None else max(count, 0)
    if isinstance(node, exp.Pad):
        length, fill = _literal_int(node.expression), node.args.get("fill_pattern")
        fill_text = " " if fill is None else _literal_text(fill)
        if length is not None and fill_text is not None:
            return max(length, 0) if fill_text else None
        return None
    return None


def _size(node: exp.Expression, engine: str) -> exp.Expression | None:
    """An expression for the result's size, computed from the arguments, or None when the
    call cannot grow a value."""
    nbytes: Callable[[exp.Expression], exp.Expression] = lambda v: _nbytes(engine, v)  # noqa: E731
    if isinstance(node, exp.Repeat):
        times = node.args["times"].copy()
        return exp.Mul(this=nbytes(node.this), expression=exp.paren(times, copy=False))
    if isinstance(node, exp.Space):
        return exp.paren(node.this.copy(), copy=False)
    if isinstance(node, exp.Pad):
        # The result has exactly `length` characters (a character is at least a byte); an
        # empty fill pads nothing, so it is never refused.
        length = exp.paren(node.expression.copy(), copy=False)
        fill = node.args.get("fill_pattern")
        if fill is None:
            return length
        empty = exp.EQ(this=nbytes(fill), expression=exp.Literal.number(0))
        return exp.Case(ifs=[exp.If(this=empty, true=exp.Literal.number(0))], default=length)
    if isinstance(node, exp.Replace):
        # len(s) + occurrences * (len(to) - len(from)); occurrences from s without `from`.
        source, found = node.this, node.expression
        to = node.args.get("replacement")
        if to is None:
            return None
        found_bytes = exp.Nullif(this=nbytes(found), expression=exp.Literal.number(0))
        removed = exp.Replace(this=source.copy(), expression=found.copy(), replacement=text(""))
        occurrences = exp.Div(
            this=exp.paren(exp.Sub(this=nbytes(source), expression=nbytes(removed)), copy=False),
            expression=found_bytes,
        )
        growth = exp.paren(exp.Sub(this=nbytes(to), expression=nbytes(found)), copy=False)
        return exp.Add(this=nbytes(source), expression=exp.Mul(this=occurrences, expression=growth))
    if (regexp := _regexp_replace_parts(node)) is not None:
        # An upper bound, linear in the source: at most len(s) + 1 matches (empty ones too),
        # each replaced by the replacement, whose back-references add at most len(s) in all per
        # reference (matches do not overlap), so len(s) * (1 + 2 * len(to)) + len(to).
        source, to = regexp
        factor = exp.Add(
            this=exp.Literal.number(1),
            expression=exp.Mul(this=exp.Literal.number(2), expression=nbytes(to)),
        )
        return exp.Add(
            this=exp.Mul(this=nbytes(source), expression=exp.paren(factor, copy=False)),
            expression=nbytes(to),
        )
    if isinstance(node, exp.DPipe | exp.Concat):
        pieces = [node.this, node.expression] if isinstance(node, exp.DPipe) else node.expressions
        total: exp.Expression = nbytes(pieces[0])
        for part in pieces[1:]:
            total = exp.Add(this=total, expression=nbytes(part))
        return total
    return None


GROWING = (exp.Repeat, exp.Space, exp.Pad, exp.Replace)
CONCATS = (exp.DPipe, exp.Concat)


def _regexp_replace_parts(node: exp.Expression) -> tuple[exp.Expression, exp.Expression] | None:
    """(source, replacement) of a REGEXP_REPLACE as the chain left it (sqlglot's node, or a
    call by name where an engine's form has more arguments); None for anything else, or when
    there is no replacement (the matches are removed: the value only shrinks)."""
    if isinstance(node, exp.RegexpReplace):
        source, to = node.this, node.args.get("replacement")
    elif isinstance(node, exp.Anonymous) and node.name.upper() == "REGEXP_REPLACE":
        args = node.expressions
        source, to = args[0], (args[2] if len(args) >= 3 else None)
    else:
        return None
    return None if to is None or _literal_text(to) == "" else (source, to)


def _in_recursive_cte(node: exp.Expression) -> bool:
    parent = node.parent
    while parent is not None:
        if isinstance(parent, exp.CTE):
            with_ = parent.parent
            return isinstance(with_, exp.With) and bool(with_.args.get("recursive"))
        parent = parent.parent
    return False


def _checked(node: exp.Expression) -> bool:
    if isinstance(node, GROWING) or _regexp_replace_parts(node) is not None:
        return True
    return isinstance(node, CONCATS) and _in_recursive_cte(node)


def _limit(engine: str, limits: ValueLimits, sites: int) -> _Limit:
    if engine == "snowflake":
        share = max(1024, limits.emulator_value_max_bytes // max(sites, 1))
        if share < limits.value_max_bytes:
            return _Limit(engine, share, "DWSIM_EMULATOR_VALUE_MAX_BYTES", max(sites, 1))
    return _Limit(engine, limits.value_max_bytes, "DWSIM_QUERY_VALUE_MAX_BYTES", 1)


def bound_values(tree: exp.Expression, engine: str, limits: ValueLimits | None) -> exp.Expression:
    """Check every value-growing call of `tree` (engine-level, after the compat chain) against
    the engine's per-value limit: refused now when its arguments are literals, else wrapped in a
    check that fails the statement, naming the call and the limit, before the value is built."""
    if limits is None:
        return tree
    sites: list[Any] = [node for node in tree.walk() if _checked(node)]  # type: ignore[arg-type]
    if not sites:
        return tree
    limit = _limit(engine, limits, len(sites))
    engine_label = engine_labels().get(engine, engine)
    # Innermost first: an outer call's size expression copies its (already checked) arguments.
    for node in reversed(sites):
        name, where = _name(node), _where(node)
        static = _static_size(node)
        if static is not None:
            if static > limit.bytes:
                raise QueryTooLarge(
                    f"{name}{where} would build a value of {static:,} bytes, over "
                    f"{limit.describe()} on the {engine_label} engine",
                    limit=limit.setting, construct=name,
                )  # fmt: skip
            continue
        size = _size(node, engine)
        if size is None:
            continue
        message = f"{name}{where} would build a value over {limit.describe()}"
        parent, key, index = node.parent, str(node.arg_key), node.index
        over = exp.GT(this=size, expression=exp.Literal.number(limit.bytes))
        checked = exp.Case(
            ifs=[exp.If(this=over, true=_fail(engine, message, size.copy()))], default=node
        )
        if sum(1 for _ in checked.walk()) > MAX_CHECKED_NODES:
            raise BadRequest(
                f"{name}{where}: value-growing calls are nested too deeply to check "
                f"against {limit.describe()}",
                limit=limit.setting, construct=name,
            )  # fmt: skip
        checked.type = node.type
        if parent is None:
            tree = checked
        else:
            parent.set(key, checked, index)
    return tree
