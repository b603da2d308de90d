"""Faker's notion of "now", fixed per experiment so a seed means the same values on any day.

Faker's date providers (`date_time`, `day_of_week`, `month_name`, `past_date`, `date_this_year`,
`date_between('-30y', 'today')`, ...) and a few others (`ssn` of some locales, `passport_*`,
`profile`) call `datetime.now()` / `date.today()` themselves and convert in the machine's local
time zone. `install()` rebinds the `datetime` / `date` names in Faker's modules to classes whose
`now()` / `today()` answer the instant set by `frozen(instant)` in the current context, and
whose local time zone is UTC there. The pin is a context variable, not a process-wide patch
(freezegun, time-machine): other threads of a worker (lease renewal, heartbeats) keep the real
clock, and outside `frozen()` Faker behaves as it always did.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
import types
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

DEFAULT_REFERENCE_TIME = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)

_pinned: ContextVar[dt.datetime | None] = ContextVar("dwsim_faker_now", default=None)


def as_utc(instant: dt.datetime) -> dt.datetime:
    """An aware UTC instant; a naive one is read as UTC."""
    if instant.tzinfo is None:
        return instant.replace(tzinfo=dt.UTC)
    return instant.astimezone(dt.UTC)


@contextlib.contextmanager
def frozen(instant: dt.datetime) -> Iterator[None]:
    """Within this block (this thread / task only), Faker's clock reads `instant`."""
    token = _pinned.set(as_utc(instant))
    try:
        yield
    finally:
        _pinned.reset(token)


def pinned_now() -> dt.datetime | None:
    return _pinned.get()


class _Standin(type):
    """A stand-in class that is the real one for construction and isinstance, but not for now()."""

    _real: type

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        return cls._real(*args, **kwargs)

    def __instancecheck__(cls, obj: object) -> bool:
        return isinstance(obj, cls._real)

    def __subclasscheck__(cls, sub: type) -> bool:
        return issubclass(sub, cls._real)


class ClockDatetime(dt.datetime, metaclass=_Standin):
    _real = dt.datetime

    @classmethod
    def now(cls, tz: dt.tzinfo | None = None) -> dt.datetime:  # type: ignore[override]
        pinned = _pinned.get()
        if pinned is None:
            return dt.datetime.now(tz)
        # Faker's naive "local" time is UTC while pinned (see _local_timezone).
        return pinned.replace(tzinfo=None) if tz is None else pinned.astimezone(tz)

    @classmethod
    def today(cls) -> dt.datetime:  # type: ignore[override]
        return cls.now()

    @classmethod
    def utcnow(cls) -> dt.datetime:  # type: ignore[override]
        pinned = _pinned.get()
        return (
            dt.datetime.now(dt.UTC).replace(tzinfo=None)
            if pinned is None
            else pinned.replace(tzinfo=None)
        )


class ClockDate(dt.date, metaclass=_Standin):
    _real = dt.date

    @classmethod
    def today(cls) -> dt.date:  # type: ignore[override]
        pinned = _pinned.get()
        return dt.date.today() if pinned is None else pinned.date()


def _clock_module() -> types.ModuleType:
    module = types.ModuleType("datetime")
    module.__dict__.update({k: v for k, v in vars(dt).items() if not k.startswith("__")})
    module.datetime = ClockDatetime  # type: ignore[attr-defined]
    module.date = ClockDate  # type: ignore[attr-defined]
    return module


_CLOCK_MODULE = _clock_module()
_STANDINS: dict[object, object] = {
    dt.datetime: ClockDatetime,
    dt.date: ClockDate,
    dt: _CLOCK_MODULE,
}


def _local_timezone_of(original: Any) -> Any:
    def local_timezone() -> dt.tzinfo | None:
        return dt.UTC if _pinned.get() is not None else original()

    local_timezone.__dwsim_clock__ = True  # type: ignore[attr-defined]
    return local_timezone


def install() -> None:
    """Rebind the clock names in every Faker module loaded so far (idempotent).

    Providers are imported lazily per locale, so this runs after each `Faker(locale)`."""
    for name, module in list(sys.modules.items()):
        if not (name == "faker" or name.startswith("faker.")) or module is None:
            continue
        namespace = vars(module)
        for key, value in list(namespace.items()):
            try:
                standin = _STANDINS.get(value)
            except TypeError:  # an unhashable module global
                continue
            if standin is not None:
                namespace[key] = standin
        local = namespace.get("_get_local_timezone")
        if callable(local) and not getattr(local, "__dwsim_clock__", False):
            namespace["_get_local_timezone"] = _local_timezone_of(local)
