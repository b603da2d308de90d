"""Seeded pools of realistic values built with Faker and then sampled by index (never per row)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import pyarrow as pa
from faker import Faker

from dwsim_shared.generation import clock
from dwsim_shared.generation.clock import DEFAULT_REFERENCE_TIME

POOL_SIZE = 2000


@lru_cache(maxsize=16)
def _faker(locale: str) -> Faker:
    fake = Faker(locale)
    clock.install()  # the locale's providers are imported by now
    return fake


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
def faker_pool(
    locale: str,
    rule: str,
    seed: int,
    now: dt.datetime = DEFAULT_REFERENCE_TIME,
    size: int = POOL_SIZE,
) -> pa.Array:
    """`size` values of `Faker(locale).<rule>()`, the same for the same arguments in every process
    and on every day: Faker's clock reads `now` (the experiment's reference time) meanwhile."""
    fake = _faker(locale)
    fake.seed_instance(seed)
    method = getattr(fake, rule)
    with clock.frozen(now):
        return pa.array([str(method()) for _ in range(size)], type=pa.string())


@lru_cache(maxsize=64)
def reads_clock(locale: str, rule: str) -> bool:
    """Whether a Faker method's values depend on "now" (tried at two instants decades apart).
    A method that cannot be called without arguments reads nothing here; generation reports it."""
    try:
        early = faker_pool(locale, rule, 1, dt.datetime(2001, 3, 5, 7, 11, 13, tzinfo=dt.UTC), 64)
        late = faker_pool(locale, rule, 1, dt.datetime(2047, 8, 9, 10, 12, 14, tzinfo=dt.UTC), 64)
    except Exception:
        return False
    return not early.equals(late)


@lru_cache(maxsize=256)
def split_pool(
    locale: str, rule: str, seed: int, now: dt.datetime = DEFAULT_REFERENCE_TIME
) -> tuple[pa.Array, pa.Array, int, int] | None:
    """For an e-mail-like pool: (local parts, "@domain" parts, longest local, longest domain)."""
    pool = faker_pool(locale, rule, seed, now)
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
