"""The registry of rewrites: each a pure node-level `Expression -> Expression` function
registered for the (source dialect, engine) pairs it serves, applied as one ordered chain.

A rewrite returns its input unchanged when it does not apply. The chain visits every node
children-first, so a rewrite always sees arguments that were already rewritten.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

Rewrite = Callable[[exp.Expression], exp.Expression]

SOURCES = ("redshift", "snowflake")
ENGINES = ("sqlite", "postgres", "snowflake")
# What a user reads: the engine the warehouse runs on here.
ENGINE_LABELS = {"sqlite": "sqlite", "postgres": "redshift mock", "snowflake": "snowflake emulator"}
# sqlglot dialect a warehouse adapter writes -> engine key of the chain.
DIALECT_ENGINES = {"sqlite": "sqlite", "strictsqlite": "sqlite", "postgres": "postgres",
                   "snowflake": "snowflake"}  # fmt: skip
ORIGIN = "dwsim_origin"
# The chain's order, family by family (within a family: the order of registration).
# GROUP BY ALL is spelled out before aggregates become pack calls; JSON paths and dates
# before the numeric casts that wrap them.
FAMILIES = ("grouping", "conditionals", "semistructured", "dates", "numeric", "strings",
            "aggregates", "windows", "emulator")  # fmt: skip


@dataclass(frozen=True)
class Registered:
    family: str
    fn: Rewrite
    sources: frozenset[str]
    engines: frozenset[str]


_REGISTRY: list[Registered] = []


def rewrite(
    family: str,
    *,
    sources: Iterable[str] = SOURCES,
    engines: Iterable[str] = ENGINES,
    first: bool = False,
) -> Callable[[Rewrite], Rewrite]:
    """Register a rewrite; the order of registration (module by module) is the chain's order
    within a family, except that a rewrite registered `first` runs before the family's others
    (it prepares what they read)."""

    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; families: {', '.join(FAMILIES)}")
    sources, engines = tuple(sources), tuple(engines)
    if unknown := sorted(set(sources) - set(SOURCES)) + sorted(set(engines) - set(ENGINES)):
        raise ValueError(
            f"unknown source or engine {unknown}; sources: {SOURCES}, engines: {ENGINES}"
        )

    def register(fn: Rewrite) -> Rewrite:
        registered = Registered(family, fn, frozenset(sources), frozenset(engines))
        if first:
            _REGISTRY.insert(0, registered)
        else:
            _REGISTRY.append(registered)
        return fn

    return register


def combine(*fns: Rewrite) -> Rewrite:
    """Several rewrites as one pass over the tree (each sees the node the previous answered).
    For rewrites that never need to see what another one builds below the node: one walk of
    the tree instead of one each."""

    def combined(node: exp.Expression) -> exp.Expression:
        for fn in fns:
            node = fn(node)
        return node

    return combined


def chain(source: str, engine: str) -> list[Registered]:
    chosen = [r for r in _REGISTRY if source in r.sources and engine in r.engines]
    return sorted(chosen, key=lambda r: FAMILIES.index(r.family))


def engine_of(dialect: str) -> str:
    return DIALECT_ENGINES.get(dialect, dialect)


def mark_origins(tree: exp.Expression, sql: str) -> None:
    """Remember, on each function node, how the user wrote it and where (for messages)."""
    for node in tree.walk():
        meta = node.meta if node._meta else {}
        if "start" in meta and "line" in meta:
            words = sql[meta["start"] : meta["end"] + 1]
            node.meta[ORIGIN] = (words, meta["line"], meta["col"] - len(words) + 1)


def origin_of(node: Any) -> tuple[str, int, int] | None:
    while node is not None:
        if node._meta and ORIGIN in node.meta:
            found: tuple[str, int, int] = node.meta[ORIGIN]
            return found
        node = node.parent
    return None


def apply(tree: exp.Expression, source: str, engine: str) -> exp.Expression:
    """Run the chain of (source, engine) over every node, children first."""
    for registered in chain(source, engine):
        tree = _transform_post_order(tree, registered.fn)
    return tree


def _transform_post_order(tree: exp.Expression, fn: Rewrite) -> exp.Expression:
    node: Any
    for node in reversed(list(tree.walk(bfs=False))):
        # Where the node sits is read first: a rewrite may wrap the node in its replacement.
        parent, key, index = node.parent, str(node.arg_key), node.index
        new = fn(node)
        if new is node:
            continue
        if new.type is None or new.type.this == exp.DataType.Type.UNKNOWN:
            new.type = node.type  # a replacement means what the original meant
        if node._meta and ORIGIN in node.meta and not (new._meta and ORIGIN in new.meta):
            new.meta[ORIGIN] = node.meta[ORIGIN]
        if parent is None:
            tree = new
        else:
            parent.set(key, new, index)
    return tree
