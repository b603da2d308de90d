"""REGEXP_SUBSTR / _COUNT / _INSTR / _REPLACE / _LIKE with their position, occurrence and
parameter arguments, per engine. A parameter letter is honoured or the call is refused by
name: never dropped.

Parameters: Redshift `c` `i` (case), `e` (answer the first sub-expression), `p` (PCRE);
Snowflake `c` `i`, `m` (^ and $ at line ends), `s` (. matches a newline), `e`."""

from __future__ import annotations

import re

from sqlglot import exp

from dwsim_query.compat.nodes import Refusal, call, text

LETTERS = {"redshift": "cipe", "snowflake": "cimes"}
NAMES: dict[type[exp.Expression], str] = {exp.RegexpExtract: "REGEXP_SUBSTR", exp.RegexpCount: "REGEXP_COUNT",
         exp.RegexpInstr: "REGEXP_INSTR", exp.RegexpReplace: "REGEXP_REPLACE",
         exp.RegexpLike: "REGEXP_LIKE"}  # fmt: skip
REGEXES = tuple(NAMES)
ONE, ZERO = exp.Literal.number(1), exp.Literal.number(0)


def _raw_parameters(node: exp.Expression) -> exp.Expression | None:
    for key in ("parameters", "modifiers", "flag"):
        if node.args.get(key) is not None:
            found: exp.Expression = node.args[key]
            return found
    return None


def parameters(node: exp.Expression, source: str) -> str:
    """The parameters as a set of letters: `i` when the last case letter is i, then m, s, e, p."""
    raw = _raw_parameters(node)
    if raw is None:
        return ""
    name = NAMES[type(node)]
    if not (isinstance(raw, exp.Literal) and raw.is_string):
        raise Refusal(f"{name} with parameters that are not a literal", node)
    letters = raw.this
    if unknown := sorted({c for c in letters if c not in LETTERS[source]}):
        raise Refusal(
            f"{name} with parameters {letters!r}",
            node,
            f"{source.capitalize()} knows only {', '.join(LETTERS[source])}, not {''.join(unknown)}",
        )
    case = ""
    for letter in letters:
        if letter in "ci":
            case = letter
    return ("i" if case == "i" else "") + "".join(c for c in "mesp" if c in letters)


def _default_group(node: exp.Expression, flags: str) -> None:
    """With `e` and no group, the first sub-expression (the parser writes group 0 there)."""
    group = node.args.get("group")
    if "e" in flags and isinstance(group, exp.Literal) and group.this == "0":
        node.set("group", ONE.copy())


def _group_asked(node: exp.Expression) -> bool:
    group = node.args.get("group")
    return group is not None and not (isinstance(group, exp.Literal) and group.this == "0")


def _below_one(node: exp.Expression) -> None:
    """Snowflake fails a position below 1 (PostgreSQL and DuckDB answer from the start)."""
    position = node.args.get("position")
    if isinstance(position, exp.Neg):
        position = position.this
    if isinstance(position, exp.Literal) and position.is_number:
        value = node.args["position"]
        number = -float(position.this) if isinstance(value, exp.Neg) else float(position.this)
        if number < 1:
            raise Refusal(
                f"{NAMES[type(node)]} with a position below 1", node, "Snowflake fails it"
            )


def _plain(node: exp.Expression) -> bool:
    return node.args.get("position") is None and node.args.get("occurrence") is None


def _arg(node: exp.Expression, key: str, default: exp.Expression) -> exp.Expression:
    value = node.args.get(key)
    return value if value is not None else default.copy()


def sqlite(node: exp.Expression, source: str) -> exp.Expression:
    """The pack's functions (Python's re, close to PCRE, so Redshift's `p` is honoured)."""
    if not isinstance(node, REGEXES):
        return node
    flags = parameters(node, source)
    if isinstance(node, exp.RegexpLike) and not flags and not node.args.get("full_match"):
        return node
    _default_group(node, flags)
    # Snowflake searches the subject from the position on as a string of its own (flag r).
    own = "r" if source == "snowflake" else ""
    flag = text(flags.replace("p", "") + own)
    this, pattern = node.this, node.expression
    if isinstance(node, exp.RegexpExtract):
        group = node.args.get("group") or exp.Null()
        return call("regexp_substr", this, pattern, _arg(node, "position", ONE),
                    _arg(node, "occurrence", ONE), flag, group)  # fmt: skip
    if isinstance(node, exp.RegexpCount):
        return call("regexp_count", this, pattern, _arg(node, "position", ONE), flag)
    if isinstance(node, exp.RegexpInstr):
        group = node.args.get("group") or exp.Null()
        return call("regexp_instr", this, pattern, _arg(node, "position", ONE),
                    _arg(node, "occurrence", ONE), _arg(node, "option", ZERO), flag, group)  # fmt: skip
    if isinstance(node, exp.RegexpReplace):
        flag = text(flags.replace("p", ""))  # the pack's REGEXP_REPLACE always cuts the subject
        if not flags and _plain(node):
            return call("regexp_replace", this, pattern, _arg(node, "replacement", text("")))
        return call("regexp_replace", this, pattern, _arg(node, "replacement", text("")),
                    _arg(node, "position", ONE), _arg(node, "occurrence", ZERO), flag)  # fmt: skip
    if not node.args.get("full_match"):
        raise Refusal("REGEXP_LIKE with parameters", node)
    return call("dwsim_regexp_like", this, pattern, text(flags.replace("p", "")))


def _pg_flags(flags: str, source: str) -> str:
    case = "i" if "i" in flags else "c"
    if source != "snowflake":
        return case
    # PostgreSQL's newline modes: n = Snowflake's m without s, w = m and s, p = neither.
    lines = {(True, True): "w", (True, False): "n", (False, True): "s", (False, False): "p"}
    return case + lines["m" in flags, "s" in flags]


# A word boundary is \b in Perl and RE2 (the sources) and \y in PostgreSQL (\b: a backspace).
_BOUNDARY = re.compile(r"(?<!\\)((?:\\\\)*)\\([bB])")


def _pg_pattern(pattern: exp.Expression, node: exp.Expression) -> exp.Expression:
    if isinstance(pattern, exp.Literal) and pattern.is_string:
        return text(_BOUNDARY.sub(lambda m: m[1] + ("\\y" if m[2] == "b" else "\\Y"), pattern.this))
    if "\\b" in pattern.sql() or "\\B" in pattern.sql():
        raise Refusal(f"{NAMES[type(node)]} with a computed pattern holding \\b", node)
    return pattern


def postgres(node: exp.Expression, source: str) -> exp.Expression:
    """PostgreSQL 15's own REGEXP_* take a start, an occurrence, flags and a sub-expression."""
    if not isinstance(node, REGEXES):
        return node
    flags = parameters(node, source)
    if source == "snowflake":
        _below_one(node)
    if source == "snowflake" or "p" in flags:  # Redshift's POSIX patterns have no \b
        node.set("expression", _pg_pattern(node.expression, node))
    if isinstance(node, exp.RegexpLike) and not flags and not node.args.get("full_match"):
        return node
    _default_group(node, flags)
    flag = text(_pg_flags(flags, source))
    this, pattern = node.this, node.expression
    group = node.args.get("group")
    if group is None:
        group = ONE.copy() if "e" in flags else ZERO.copy()
    position = _arg(node, "position", ONE)
    skipped: exp.Expression | None = None
    if (
        source == "snowflake"
        and isinstance(node, exp.RegexpExtract | exp.RegexpCount | exp.RegexpInstr)
        and not (isinstance(position, exp.Literal) and position.this == "1")
    ):
        # Snowflake searches the rest of the subject as a string of its own (\b and ^ match
        # at its start); PostgreSQL keeps the characters before the start in view.
        this = exp.Substring(this=this, start=position)
        skipped, position = exp.Sub(this=position.copy(), expression=ONE.copy()), ONE.copy()
    if isinstance(node, exp.RegexpExtract):
        return call("REGEXP_SUBSTR", this, pattern, position,
                    _arg(node, "occurrence", ONE), flag, group)  # fmt: skip
    if isinstance(node, exp.RegexpCount):
        return call("REGEXP_COUNT", this, pattern, position, flag)
    if isinstance(node, exp.RegexpInstr):
        found = call("REGEXP_INSTR", this, pattern, position,
                     _arg(node, "occurrence", ONE), _arg(node, "option", ZERO), flag, group)  # fmt: skip
        if skipped is None:
            return found
        # An offset in the rest, counted from the subject's start (0, no match, stays 0).
        moved = exp.Add(this=exp.Nullif(this=found, expression=ZERO.copy()), expression=skipped)
        return exp.Coalesce(this=moved, expressions=[found.copy()])
    if isinstance(node, exp.RegexpReplace):
        if not flags and _plain(node) and source == "redshift":
            return call("REGEXP_REPLACE", this, pattern, _arg(node, "replacement", text("")),
                        text("g"))  # fmt: skip
        occurrence = _arg(node, "occurrence", ZERO)
        position = _arg(node, "position", ONE)
        if source == "snowflake" and not (
            isinstance(position, exp.Literal) and position.this == "1"
        ):
            # Snowflake searches the rest of the subject as a string of its own (\b and ^ match
            # at its start); PostgreSQL keeps the characters before the start in view.
            head = exp.Substring(
                this=this.copy(),
                start=ONE.copy(),
                length=exp.Sub(this=position.copy(), expression=ONE.copy()),
            )
            rest = exp.Substring(this=this, start=position)
            replaced = call(
                "REGEXP_REPLACE",
                rest,
                pattern,
                _arg(node, "replacement", text("")),
                ONE.copy(),
                occurrence,
                flag,
            )
            return exp.DPipe(this=head, expression=replaced)
        return call("REGEXP_REPLACE", this, pattern, _arg(node, "replacement", text("")),
                    position, occurrence, flag)  # fmt: skip
    if node.args.get("full_match"):
        pattern = exp.DPipe(this=exp.DPipe(this=text("^(?:"), expression=pattern),
                            expression=text(")$"))  # fmt: skip
    return call("REGEXP_LIKE", this, pattern, flag)


def emulator(node: exp.Expression, source: str) -> exp.Expression:
    """DuckDB's RE2 reads the flags written into the pattern: `(?i)`, `(?m)`, `(?s)`; the
    emulator honours `e` and a group itself."""
    if not isinstance(node, REGEXES):
        return node
    if isinstance(node, exp.RegexpLike) and source != "snowflake" and not node.args.get("flag"):
        # Redshift's `~` matches anywhere (and `.` matches a newline); the emulator's
        # REGEXP_LIKE matches the whole subject: the pattern is searched for.
        pattern = node.expression
        if isinstance(pattern, exp.Literal) and pattern.is_string:
            node.set("expression", text(f"(?s).*(?:{pattern.this}).*"))
        else:
            inner = exp.DPipe(this=text("(?s).*(?:"), expression=pattern)
            node.set("expression", exp.DPipe(this=inner, expression=text(").*")))
        return node
    flags = parameters(node, source)
    name = NAMES[type(node)]
    if source == "snowflake":
        _below_one(node)
    if isinstance(node, exp.RegexpReplace):
        for key, default in (("position", "1"), ("occurrence", "0")):
            value = node.args.get(key)
            if value is not None and not (isinstance(value, exp.Literal) and value.this == default):
                raise Refusal(f"{name} with a {key}", node)
            node.set(key, None)
    if isinstance(node, exp.RegexpInstr) and ("e" in flags or _group_asked(node)):
        raise Refusal(
            f"{name} with parameters 'e' or a group", node, "the emulator answers the whole match"
        )
    if not flags:
        for key in ("parameters", "modifiers", "flag"):
            if node.args.get(key) is not None:  # 'c' (or 'ic'): the case-sensitive default
                node.set(key, text(""))
        return node
    if "p" in flags:
        raise Refusal(f"{name} with parameters 'p'", node, "RE2 is not PCRE")
    if "e" in flags and not isinstance(node, exp.RegexpExtract):
        raise Refusal(f"{name} with parameters 'e'", node)
    inline = "".join(c for c in "ims" if c in flags)
    for key in ("parameters", "modifiers", "flag"):
        if node.args.get(key) is not None:
            node.set(key, text("e") if "e" in flags else None)
    if inline:
        pattern = node.expression
        # The emulator fails on a pattern that is an expression: a literal stays a literal.
        if isinstance(pattern, exp.Literal) and pattern.is_string:
            node.set("expression", text(f"(?{inline})" + pattern.this))
        else:
            node.set("expression", exp.DPipe(this=text(f"(?{inline})"), expression=pattern))
    return node
