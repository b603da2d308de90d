"""Seeded pools of realistic values built with Faker and then sampled by index (never per row)."""

from __future__ import annotations

from functools import lru_cache

import pyarrow as pa
from faker import Faker

POOL_SIZE = 2000


@lru_cache(maxsize=16)
def _faker(locale: str) -> Faker:
    return Faker(locale)


def faker_has_rule(locale: str, rule: str) -> bool:
    fake = _faker(locale)
    return not rule.startswith("_") and callable(getattr(fake, rule, None))


@lru_cache(maxsize=16)
def faker_rule_names(locale: str) -> list[str]:
    fake = _faker(locale)
    names = []
    for name in dir(fake):
        if name.startswith("_"):
            continue
        try:
            if callable(getattr(fake, name)):
                names.append(name)
        except (AttributeError, TypeError):  # some Faker attributes raise when read
            continue
    return names


@lru_cache(maxsize=256)
def faker_pool(locale: str, rule: str, seed: int, size: int = POOL_SIZE) -> pa.Array:
    """`size` values of `Faker(locale).<rule>()`, the same for the same arguments in every process."""
    fake = _faker(locale)
    fake.seed_instance(seed)
    method = getattr(fake, rule)
    return pa.array([str(method()) for _ in range(size)], type=pa.string())


@lru_cache(maxsize=256)
def split_pool(locale: str, rule: str, seed: int) -> tuple[pa.Array, pa.Array, int, int] | None:
    """For an e-mail-like pool: (local parts, "@domain" parts, longest local, longest domain)."""
    pool = faker_pool(locale, rule, seed)
    values = pool.to_pylist()
    if not all("@" in v for v in values):
        return None
    locals_, domains = zip(*(v.split("@", 1) for v in values), strict=True)
    at_domains = ["@" + d for d in domains]
    return (
        pa.array(locals_, pa.string()),
        pa.array(at_domains, pa.string()),
        max(map(len, locals_)),
        max(map(len, at_domains)),
    )
