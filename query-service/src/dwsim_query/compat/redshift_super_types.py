"""Redshift's type tests of a SUPER value: IS_BIGINT, IS_INTEGER, IS_SMALLINT, IS_DECIMAL,
IS_FLOAT, IS_VARCHAR, IS_CHAR; CAN_JSON_PARSE of text; LOWER_ATTRIBUTE_NAMES and UPPER_ATTRIBUTE_NAMES
(every object's keys at every depth, ASCII keys only: the mock's LOWER and UPPER change ASCII
letters only; keys equal after the change fail, as the page's example does).

Every test is false for NULL and for a value of another kind (the pages: "false for all other
values, including null"). An integer is a DECIMAL, not a FLOAT, and a BIGINT, INTEGER or
SMALLINT within that type's range. Whether Redshift holds a parsed number written with a
fraction or an exponent as a DECIMAL or a FLOAT is not documented: IS_DECIMAL and IS_FLOAT of
one, and the integer tests of an exponent, fail by name (the integer tests of a fraction are
false either way: "numbers of scale 0"). SQLite and the mock run the pack's
`dwsim_rs_super_test`, the emulator DuckDB's JSON functions."""

from __future__ import annotations

import json

from sqlglot import exp

from dwsim_query.compat.nodes import Refusal, call, text, type_of

T = exp.DataType.Type
TESTS = ("IS_BIGINT", "IS_INTEGER", "IS_SMALLINT", "IS_DECIMAL", "IS_FLOAT", "IS_VARCHAR",
         "IS_CHAR")  # fmt: skip
RANGES = {"IS_BIGINT": 2**63, "IS_INTEGER": 2**31, "IS_SMALLINT": 2**15}
ATTRIBUTE_NAMES = {"LOWER_ATTRIBUTE_NAMES": "lower", "UPPER_ATTRIBUTE_NAMES": "upper"}
UNCARRIED = "whether Redshift holds it as a DECIMAL or a FLOAT is not carried"
_LENIENT = "the emulator's JSON reader accepts trailing commas and NaN"


def _n(value: int) -> exp.Expression:
    return exp.Literal.number(value)


def _emulator(name: str, value: exp.Expression) -> exp.Expression:
    """The test in DuckDB's JSON functions (json_type: BIGINT, UBIGINT, DOUBLE, VARCHAR...)."""
    kind = call("json_type", value.copy())
    if name in ("IS_VARCHAR", "IS_CHAR"):
        test: exp.Expression = exp.EQ(this=kind, expression=text("VARCHAR"))
        if name == "IS_CHAR":  # ASCII only: as many bytes as characters
            string = call("json_extract_string", value.copy(), text("$"))
            test = exp.And(this=test, expression=exp.EQ(this=call("strlen", string.copy()),
                                                        expression=call("length", string)))  # fmt: skip
        return exp.Coalesce(this=exp.Paren(this=test), expressions=[exp.false()])
    # DuckDB writes 1e2 back as 100.0: a number with a fraction or an exponent fails
    fraction = exp.EQ(this=kind.copy(), expression=text("DOUBLE"))
    integer = exp.In(this=kind.copy(), expressions=[text("BIGINT"), text("UBIGINT")])
    number = exp.cast(value.copy(), exp.DataType.build("HUGEINT", dialect="duckdb"))
    ifs = [exp.If(this=fraction, true=call("error", text(
        f"{name} of a number with a fraction or an exponent on the emulator, which does not keep "
        "how it was written")))]  # fmt: skip
    if name in ("IS_DECIMAL", "IS_FLOAT"):
        bound = RANGES["IS_BIGINT"]
        within = exp.Between(this=number, low=_n(-bound), high=_n(bound - 1))
        ifs.append(exp.If(this=exp.and_(integer.copy(), exp.Not(this=within)), true=call(
            "error", text(f"{name} of a number with a fraction or past 64 bits: {UNCARRIED}"))))  # fmt: skip
        ifs.append(exp.If(this=integer, true=exp.Boolean(this=name == "IS_DECIMAL")))
    else:
        bound = RANGES[name]
        within = exp.Between(this=number, low=_n(-bound), high=_n(bound - 1))
        ifs.append(exp.If(this=integer, true=within))
    return exp.Coalesce(this=exp.Case(ifs=ifs, default=exp.false()), expressions=[exp.false()])


def _super(value: exp.Expression, engine: str, name: str, node: exp.Expression) -> exp.Expression:
    from dwsim_query.compat.redshift_super import _DOCUMENTS, _SUPER_NODES, _json_postgres

    if isinstance(value, exp.Array):
        raise Refusal(f"{name} of ARRAY(...)", node)
    if not isinstance(value, _SUPER_NODES) and type_of(value) not in _DOCUMENTS:
        raise Refusal(f"{name} of a value that is not SUPER", node)
    if engine == "postgres":
        return _json_postgres(value)
    if engine == "snowflake":
        return exp.cast(value, exp.DataType.build("JSON"))
    return value


def _is_super(node: exp.Expression) -> bool:
    return isinstance(node, exp.ParseJSON) or type_of(node) == T.SUPER


def super_case(node: exp.Case) -> exp.Expression:
    """A CASE of SUPER and text results is SUPER: a text literal there is a SUPER string
    (CAN_JSON_PARSE's page prints "This is not JSON." in quotes); other text is refused."""
    results = [i.args["true"] for i in node.args.get("ifs", [])]
    if node.args.get("default") is not None:
        results.append(node.args["default"])
    if not any(_is_super(r) for r in results):
        return node
    for result in results:
        if _is_super(result) or type_of(result) not in exp.DataType.TEXT_TYPES:
            continue
        if not (isinstance(result, exp.Literal) and result.is_string):
            raise Refusal("CASE of SUPER and text results", node)
        result.replace(exp.ParseJSON(this=text(json.dumps(result.name, ensure_ascii=False))))
    node.type = exp.DataType(this=T.SUPER)
    return node


def type_tests(node: exp.Expression, engine: str) -> exp.Expression:
    """One of the tests above for the engine, or the node unchanged."""
    if isinstance(node, exp.Case):
        return super_case(node)
    if not isinstance(node, exp.Anonymous) or len(node.expressions) != 1:
        return node
    name = node.name.upper()
    value = node.expressions[0]
    if name == "CAN_JSON_PARSE":
        if engine == "snowflake":
            raise Refusal(name, node, _LENIENT)
        if type_of(value) in (T.VARBINARY, T.BINARY):
            raise Refusal(f"{name} of a VARBYTE value", node)
        if isinstance(value, exp.Null):
            return exp.Null()
        valid = (
            call("json_valid", value.copy())
            if engine == "sqlite"
            else exp.NEQ(this=call("dwsim_json_kind", value.copy()), expression=text("invalid"))
        )
        built: exp.Expression = exp.Case(
            ifs=[exp.If(this=exp.Is(this=value.copy(), expression=exp.Null()), true=exp.Null())],
            default=valid,
        )
    elif name in ATTRIBUTE_NAMES:
        if engine == "snowflake":
            raise Refusal(name, node, "the emulator cannot rename keys at every depth")
        if isinstance(value, exp.Null):
            return exp.Null()
        document = _super(value, engine, name, node)
        renamed = call("dwsim_rs_attribute_names", document, text(ATTRIBUTE_NAMES[name]))
        renamed = call("json", renamed) if engine == "sqlite" else renamed
        renamed.type = exp.DataType(this=T.SUPER)
        return renamed
    elif name in TESTS:
        if isinstance(value, exp.Null):
            return exp.false()
        document = _super(value, engine, name, node)
        if engine == "snowflake":
            built = _emulator(name, document)
        else:
            built = call("dwsim_rs_super_test", document, text(name))
    else:
        return node
    built = exp.Paren(this=built)
    built.type = exp.DataType.build("BOOLEAN")
    return built
