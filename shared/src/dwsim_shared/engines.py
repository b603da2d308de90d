"""The one list of warehouse engines and of source dialects.

Everything else derives from here: settings and experiment validation, `/api/warehouses`,
the query service's rewrite chain (`dwsim_query.compat.registry`) and its table inspection.
A warehouse is an adapter class (`dwsim_shared.warehouses.base.Warehouse`) whose class
attributes say what it is: `name`, `label`, `compat_engine`, `approximate_distinct`,
`required_settings` and `configured(settings)`. Adapters are imported only when asked for
(a worker loading into SQLite never pays for the Snowflake connector's imports); their names
are known without importing them.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dwsim_shared.errors import InvalidInput

if TYPE_CHECKING:
    from dwsim_shared.settings import Settings
    from dwsim_shared.warehouses.base import Warehouse

# name -> "module:Class", or the class itself once imported (or registered by a plugin/test).
_ADAPTERS: dict[str, str | type[Warehouse]] = {
    "sqlite": "dwsim_shared.warehouses.sqlite:SQLiteWarehouse",
    "redshift": "dwsim_shared.warehouses.redshift:RedshiftMockWarehouse",
    "snowflake": "dwsim_shared.warehouses.snowflake:SnowflakeWarehouse",
}
DEFAULT_WAREHOUSE = "sqlite"


def warehouse_names() -> list[str]:
    """Every warehouse's name, sorted (no adapter is imported)."""
    return sorted(_ADAPTERS)


def warehouse_class(name: str) -> type[Warehouse]:
    """The adapter class of a warehouse name (imported on first use); `KeyError` if unknown."""
    entry = _ADAPTERS[name]
    if isinstance(entry, str):
        module_name, _, class_name = entry.partition(":")
        entry = getattr(importlib.import_module(module_name), class_name)
        assert isinstance(entry, type) and entry.name == name, f"{entry} is not {name!r}"
        _ADAPTERS[name] = entry
    return entry


def adapters() -> list[type[Warehouse]]:
    """Every adapter class, in registration order (imports them all)."""
    return [warehouse_class(name) for name in _ADAPTERS]


def register_adapter(cls: type[Warehouse]) -> type[Warehouse]:
    """Add an adapter (a plugin, or a test's fake) under `cls.name`."""
    _ADAPTERS[cls.name] = cls
    return cls


def unregister_adapter(name: str) -> None:
    _ADAPTERS.pop(name, None)


def check_warehouse_name(name: str, path: str = "target_warehouse") -> str:
    """The name, lower-cased, if a warehouse has it; else `ValueError` naming those that exist."""
    lowered = name.lower()
    if lowered not in _ADAPTERS:
        raise ValueError(
            f"{path} {name!r} is not available; available: {', '.join(warehouse_names())}"
        )
    return lowered


def make_warehouse(name: str, settings: Settings) -> Warehouse:
    """The adapter for a warehouse name; `InvalidInput` names the ones that exist."""
    try:
        check_warehouse_name(name)
    except ValueError as error:
        raise InvalidInput(str(error), path="target_warehouse") from None
    return warehouse_class(name)(settings)


@dataclass(frozen=True)
class SourceDialect:
    """A dialect an experiment's DDL and SQL are written in."""

    name: str
    label: str
    # sqlglot's dialect for reading and writing its DDL (Show DDL, formatting, statement split)
    sqlglot: str
    # sqlglot's dialect that builds its column types (Redshift's are PostgreSQL's)
    types: str
    # whose SQL meaning its queries follow: a compat-chain source (PostgreSQL reads like
    # Redshift, which was built from it)
    semantics: str
    # whether `import-sql` accepts DDL in it
    ddl_import: bool = True


SOURCE_DIALECTS: dict[str, SourceDialect] = {
    d.name: d
    for d in (
        SourceDialect("redshift", "Redshift", "redshift", "postgres", "redshift"),
        SourceDialect("snowflake", "Snowflake", "snowflake", "snowflake", "snowflake"),
        SourceDialect("postgres", "PostgreSQL", "postgres", "postgres", "redshift"),
        SourceDialect("sqlite", "SQLite", "postgres", "sqlite", "redshift", ddl_import=False),
    )
}
DEFAULT_SOURCE_DIALECT = "redshift"


def source_dialect_of(name: str) -> SourceDialect:
    """A source dialect by name; an unknown one reads as the default (Redshift)."""
    return SOURCE_DIALECTS.get(name, SOURCE_DIALECTS[DEFAULT_SOURCE_DIALECT])


def semantic_sources() -> tuple[str, ...]:
    """The dialects whose SQL meaning the rewrite chain carries (Redshift, Snowflake)."""
    return tuple(d.name for d in SOURCE_DIALECTS.values() if d.semantics == d.name)


def ddl_dialects() -> tuple[str, ...]:
    return tuple(d.name for d in SOURCE_DIALECTS.values() if d.ddl_import)


def check_source_dialect(name: str) -> str:
    lowered = name.lower()
    if lowered not in SOURCE_DIALECTS:
        raise ValueError(
            f"source_dialect {name!r} is not known; known: {', '.join(SOURCE_DIALECTS)}"
        )
    return lowered
