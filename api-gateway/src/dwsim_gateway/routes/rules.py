"""The catalogue of generation rules for editors: data types, rule kinds and the column fields
that select them, distributions with their parameters, and the Faker provider methods of a
locale (each with its provider), as the generator's registry knows them."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any, get_args

from fastapi import APIRouter, Query

from dwsim_shared.errors import InvalidInput
from dwsim_shared.experiment import DISTRIBUTION_PARAMETERS, DataType
from dwsim_shared.generation.faker_pools import _faker, faker_rule_names
from dwsim_shared.generation.rules import RULE_KINDS

router = APIRouter(tags=["experiments"])

# What each kind does, in a line, for the catalogue's search.
_DESCRIPTIONS = {
    "foreign_key": "a parent table's key value (uniform or Zipf-skewed parents)",
    "sequence": "start, start + step, ... (a key by construction)",
    "choices": "one of a list of values, optionally weighted",
    "pattern": "a fixed-shape code: # digit, ? letter, * either (ORD-{####})",
    "faker": "a realistic value from a Faker provider method (email, city, ...)",
    "distribution": "a number drawn from a named law, clipped to min/max",
    "range": "a uniform number between min_value and max_value",
    "date_range": "a date or time between date_start and date_end",
    "boolean": "true or false, evenly",
    "text": "words from a pool, within the column's length",
    "semi_structured": "a small JSON document (an array for ARRAY)",
}


@lru_cache(maxsize=8)
def _faker_methods(locale: str) -> list[dict[str, str]]:
    owner: dict[str, str] = {}
    for provider in _faker(locale).get_providers():
        module = getattr(provider, "__provider__", type(provider).__module__)
        for name in dir(provider):
            owner.setdefault(name, module.rsplit(".", 1)[-1])
    return [{"name": n, "provider": owner.get(n, "misc")} for n in faker_rule_names(locale)]


@router.get("")
def rule_catalogue(
    locale: Annotated[str, Query(max_length=20, pattern=r"^[A-Za-z]{2,3}(_[A-Za-z]{2,4})?$")] = (
        "en_US"
    ),
) -> dict[str, Any]:
    """Types, rule kinds, distributions and the locale's Faker methods, for a rule editor."""
    try:
        faker = _faker_methods(locale)
    except AttributeError:
        raise InvalidInput(f"locale: {locale!r} is not a Faker locale", path="locale") from None
    return {
        "types": list(get_args(DataType)),
        "kinds": [
            {
                "kind": kind,
                "fields": list(rule.fields),
                "types": sorted(rule.types) if rule.types is not None else None,
                "description": _DESCRIPTIONS.get(kind, kind),
            }
            for kind, rule in RULE_KINDS.items()
        ],
        "distributions": {law: sorted(params) for law, params in DISTRIBUTION_PARAMETERS.items()},
        "locale": locale,
        "faker": faker,
    }
