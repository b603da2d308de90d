"""Text semantics that differ by source: SUBSTRING's start position, casts to VARCHAR(n) and
CHAR(n), CHAR comparison without trailing blanks, TO_HEX."""

from __future__ import annotations

from sqlglot import exp

from dwsim_query.compat.nodes import Refusal, call, text, type_of
from dwsim_query.compat.registry import SOURCES, Rewrite, combine, compat_engines, rewrite

T = exp.DataType.Type
TEXT_TARGETS = frozenset({T.VARCHAR, T.NVARCHAR, T.CHAR, T.NCHAR, T.TEXT})
COMPARISONS = (exp.EQ, exp.NEQ, exp.LT, exp.LTE, exp.GT, exp.GTE)


def _positive_literal(node: exp.Expression) -> bool:
    return isinstance(node, exp.Literal) and node.is_int and int(node.this) >= 1


def redshift_substring_start(node: exp.Expression) -> exp.Expression:
    """Redshift counts a start below 1 as positions before the string (SUBSTRING('caterpillar',
    -2, 6) is 'cat'); SQLite and Snowflake count a negative start from the end."""
    if not isinstance(node, exp.Substring):
        return node
    start = node.args.get("start")
    if start is None or _positive_literal(start):
        return node
    one = exp.Literal.number(1)
    first = exp.Greatest(this=start.copy(), expressions=[one])
    length = node.args.get("length")
    if length is None:
        return exp.Substring(this=node.this, start=first)
    end = exp.Sub(this=exp.Add(this=start, expression=length), expression=first.copy())
    count = exp.Greatest(this=end, expressions=[exp.Literal.number(0)])
    return exp.Substring(this=node.this, start=first, length=count)


def snowflake_substring_start(node: exp.Expression) -> exp.Expression:
    """Snowflake counts a negative start from the end (SUBSTR('caterpillar', -5, 4) is
    'illa'); PostgreSQL counts it before the string."""
    if not isinstance(node, exp.Substring):
        return node
    start = node.args.get("start")
    if start is None or _positive_literal(start):
        return node
    from_end = exp.Add(
        this=exp.Add(this=exp.Length(this=node.this.copy()), expression=start.copy()),
        expression=exp.Literal.number(1),
    )
    negative = exp.LT(this=start.copy(), expression=exp.Literal.number(0))
    chosen = exp.Case(ifs=[exp.If(this=negative, true=from_end)], default=start)
    node.set("start", chosen)
    return node


def _length(to: exp.DataType) -> exp.Expression | None:
    if to.this not in TEXT_TARGETS or not to.expressions:
        return None
    size = to.expressions[0]
    size = size.this if isinstance(size, exp.DataTypeParam) else size
    return size if isinstance(size, exp.Literal) and size.is_int else None


def redshift_text_casts(node: exp.Expression) -> exp.Expression:
    """CAST(x AS VARCHAR(n)) keeps n characters in Redshift; CHAR(n) also pads to n. A
    comparison with a CHAR ignores its trailing blanks (as NULLIF does)."""
    if type(node) is exp.Cast and (size := _length(node.to)) is not None:
        plain = exp.cast(node.this, exp.DataType.build("VARCHAR"))
        cut: exp.Expression = exp.Substring(this=plain, start=exp.Literal.number(1), length=size)
        if node.to.this in (T.CHAR, T.NCHAR):
            cut = call("RPAD", cut, size.copy(), text(" "))
        cut.type = node.to.copy()
        return cut
    if isinstance(node, (*COMPARISONS, exp.Nullif)) and _has_char(node):
        if isinstance(node, exp.Nullif):
            same = exp.EQ(this=_trimmed(node.this), expression=_trimmed(node.expression))
            return exp.Case(ifs=[exp.If(this=same, true=exp.Null())], default=node.this)
        node.set("this", _trimmed(node.this))
        node.set("expression", _trimmed(node.expression))
    return node


def _has_char(node: exp.Expression) -> bool:
    return any(type_of(side) in (T.CHAR, T.NCHAR) for side in (node.this, node.expression))


def _trimmed(side: exp.Expression) -> exp.Expression:
    return exp.Trim(this=side.copy(), position="TRAILING")


def _to_hex(engine: str) -> Rewrite:
    """TO_HEX(n): n's hexadecimal digits in lower case."""

    def fn(node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.LowerHex):
            return node
        if engine == "sqlite":
            return call("dwsim_to_hex", node.this)
        if engine == "postgres":
            return call("TO_HEX", node.this)
        raise Refusal("TO_HEX", node)  # the emulator answers the decimal digits

    return fn


def emulator_trim_characters(node: exp.Expression) -> exp.Expression:
    """TRIM, LTRIM and RTRIM: the emulator trims both ends for LTRIM/RTRIM and nothing for a
    set of characters, so each end is a regular-expression replacement of a literal set."""
    if not isinstance(node, exp.Trim):
        return node
    chars = node.args.get("expression")
    position = (node.args.get("position") or "BOTH").upper()
    if chars is None and position == "BOTH":
        return node  # TRIM(x) it answers right
    if chars is None:
        chars = text(" ")
    elif isinstance(chars, exp.Null):  # no characters to trim: NULL
        return exp.Null()
    elif not (isinstance(chars, exp.Literal) and chars.is_string):
        raise Refusal("TRIM with characters that are not a literal", node)
    if not chars.this:
        return node.this
    group = "[" + "".join("\\" + c if c in "\\^]-[" else c for c in chars.this) + "]+"
    value = node.this
    if position in ("BOTH", "LEADING"):
        value = call("REGEXP_REPLACE", value, text("^" + group), text(""))
    if position in ("BOTH", "TRAILING"):
        value = call("REGEXP_REPLACE", value, text(group + "$"), text(""))
    value.type = node.type
    return value


def _hashes(engine: str) -> Rewrite:
    """MD5, SHA1, SHA2 (hex digests of the text's UTF-8 bytes), TRANSLATE, EQUAL_NULL."""

    def fn(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.EqualNull):
            return exp.NullSafeEQ(this=node.this, expression=node.expression)
        if isinstance(node, exp.Contains) and engine != "snowflake":  # NULL stays NULL
            finder = "instr" if engine == "sqlite" else "STRPOS"
            args = (node.this, node.expression)
            return exp.Paren(
                this=exp.GT(this=call(finder, *args), expression=exp.Literal.number(0))
            )
        if engine == "snowflake":
            if isinstance(node, exp.SHA2):
                bits = node.args.get("length")
                if bits is not None and not (isinstance(bits, exp.Literal) and bits.this == "256"):
                    raise Refusal("SHA2 with a digest size other than 256", node,
                                  "the emulator computes SHA-256 only")  # fmt: skip
            return node
        if isinstance(node, exp.SHA2):
            bits = node.args.get("length") or exp.Literal.number(256)
            if engine == "sqlite":
                return call("dwsim_sha2", node.this, bits)
            if not (
                isinstance(bits, exp.Literal) and bits.this in ("0", "224", "256", "384", "512")
            ):
                raise Refusal("SHA2 with a digest size that is not 224, 256, 384 or 512", node)
            size = "256" if bits.this == "0" else bits.this
            data = call("CONVERT_TO", cast_text(node.this), text("UTF8"))
            return call("ENCODE", call(f"SHA{size}", data), text("hex"))
        if engine == "postgres":
            if isinstance(node, exp.SHA):
                raise Refusal("SHA1", node, "PostgreSQL has no SHA-1 without pgcrypto")
            return node
        if isinstance(node, exp.MD5):
            return call("dwsim_md5", node.this)
        if isinstance(node, exp.SHA):
            return call("dwsim_sha1", node.this)
        if isinstance(node, exp.Translate):
            return call("dwsim_translate", node.this, node.args["from_"], node.args["to"])
        return node

    return fn


def cast_text(value: exp.Expression) -> exp.Expression:
    return exp.cast(value, exp.DataType.build("TEXT"))


# One pass per (source, engine): none of these needs to see what another builds below it.
for _source in SOURCES:
    for _engine in compat_engines():
        _fns = [_hashes(_engine)]
        if _engine == "snowflake":
            _fns.append(emulator_trim_characters)
        if _source == "redshift":
            _fns.append(_to_hex(_engine))
            if _engine != "postgres":
                _fns += [redshift_substring_start, redshift_text_casts]
        elif _engine == "postgres":
            _fns.append(snowflake_substring_start)
        rewrite("strings", sources=[_source], engines=[_engine])(combine(*_fns))
