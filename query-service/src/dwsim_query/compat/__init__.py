"""The SQL compatibility layer: rewrites by family, applied as one ordered chain per engine,
then checked against the engine's allowlist.

Adding a construct is one function in the module of its family, registered with
`@rewrite(family, sources=..., engines=...)` (or `@parsed_rewrite` for one that must run before
the columns are qualified), plus its golden cases.
"""

from __future__ import annotations

# Importing the families registers their rewrites (their order is registry.FAMILIES).
from dwsim_query.compat import (  # noqa: F401
    aggregates,
    array_repeat,
    arrays,
    arrays_more,
    change_event,
    clock,
    conditionals,
    conversions,
    dates,
    emulator,
    everyday,
    exact,
    flatten,
    grouping,
    implicit,
    json_conversions,
    literals,
    md5_numbers,
    numeric,
    numeric_args,
    page_audit,
    redshift_edges,
    redshift_functions,
    redshift_pages,
    redshift_super,
    regex,
    semistructured,
    snowflake_args,
    statistics,
    strings,
    text,
    times,
    variants,
    windows,
)
from dwsim_query.compat.registry import (
    apply,
    apply_parsed,
    chain,
    compat_engines,
    engine_labels,
    engine_of,
)

__all__ = ["apply", "apply_parsed", "chain", "compat_engines", "engine_labels", "engine_of"]
