"""The rule registry: one rule kind per module, chosen by the column fields that select it.

`select_rule(column)` is the only place that decides, from a `Column`'s fields, how its values
are made; `rule_conflicts(column)` names fields that would each choose a different rule.
"""

from __future__ import annotations

from collections.abc import Iterator

from dwsim_shared.experiment import NUMERIC_TYPES, SEMI_STRUCTURED_TYPES, Column
from dwsim_shared.generation.rules.base import Check, ColumnContext, Problem, Rule
from dwsim_shared.generation.rules.by_type import BooleanRule, TextRule
from dwsim_shared.generation.rules.choices import ChoicesRule
from dwsim_shared.generation.rules.distribution import DistributionRule
from dwsim_shared.generation.rules.faker import FakerRule
from dwsim_shared.generation.rules.foreign_key import ForeignKeyRule
from dwsim_shared.generation.rules.pattern import PatternRule
from dwsim_shared.generation.rules.range import RangeRule
from dwsim_shared.generation.rules.semi_structured import SemiStructuredRule
from dwsim_shared.generation.rules.sequence import SequenceRule
from dwsim_shared.generation.rules.temporal import TemporalRule

# Rules a field selects whatever the type (a wrong type is then reported by the rule itself).
# At most one of them may be set on a column.
PRIMARY_RULES: tuple[type[Rule], ...] = (
    ForeignKeyRule, SequenceRule, ChoicesRule, PatternRule, FakerRule, DistributionRule,
)  # fmt: skip
# Rules whose fields bound values of their own types; other rules may read them too.
BOUND_RULES: tuple[type[Rule], ...] = (RangeRule, TemporalRule)
# Bounds that a value-list rule would silently ignore.
IGNORED_BOUNDS: dict[type[Rule], type[Rule]] = {
    ChoicesRule: RangeRule,
    PatternRule: RangeRule,
    FakerRule: RangeRule,
}
BY_TYPE: dict[str, type[Rule]] = {
    **{t: RangeRule for t in NUMERIC_TYPES},
    **{t: TemporalRule for t in ("DATE", "TIMESTAMP", "TIMESTAMPTZ", "TIME")},
    **{t: SemiStructuredRule for t in SEMI_STRUCTURED_TYPES},
    "BOOLEAN": BooleanRule,
    "VARCHAR": TextRule,
    "CHAR": TextRule,
}
_ALL: tuple[type[Rule], ...] = (
    *PRIMARY_RULES,
    *BOUND_RULES,
    BooleanRule,
    TextRule,
    SemiStructuredRule,
)
RULE_KINDS: dict[str, type[Rule]] = {r.kind: r for r in _ALL}


def select_rule(column: Column) -> Rule:
    """The rule that makes the column's values."""
    for rule in PRIMARY_RULES:
        if rule.selects(column):
            return rule(column)
    for rule in BOUND_RULES:
        if rule.selects(column) and rule.types is not None and column.data_type in rule.types:
            return rule(column)
    return BY_TYPE[column.data_type](column)


def rule_conflicts(column: Column) -> Iterator[Problem]:
    """Fields that each select a different rule: refused, never resolved silently."""
    chosen = [r for r in PRIMARY_RULES if r.selects(column)]
    for other in chosen[1:]:
        yield Problem(
            other.fields[0],
            f"{chosen[0].fields[0]} and {other.fields[0]} both decide this column's values; keep one",
        )
    if chosen and chosen[0] in IGNORED_BOUNDS and IGNORED_BOUNDS[chosen[0]].selects(column):
        field = "min_value" if column.min_value is not None else "max_value"
        yield Problem(field, f"{field} does not apply with {chosen[0].fields[0]}; keep one")


__all__ = [
    "RULE_KINDS", "Check", "ColumnContext", "Problem", "Rule", "rule_conflicts", "select_rule",
]  # fmt: skip
