"""What a loader loaded, as facts kept with the shard: its integer keys' counts, bounds and
digests, computed from the shard's Parquet object while the warehouse ingests it.

A run's report adds up its shards' facts (`LoadedTable`) and compares them with the generation
contract (`contract.KeyFacts.loaded_digest`): with the warehouse's COUNT(*) of the table equal
to the rows the ledger says were loaded, equal facts prove the keys and foreign keys without
reading a key in the warehouse. The on-demand report (`POST .../report`) does not use them: it
reads the warehouse, so an edit made after the load is caught.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from dwsim_shared.experiment import INTEGER_TYPES, Experiment, Table
from dwsim_shared.reports.contract import key_id, value_digest
from dwsim_shared.warehouses.base import ShardRef, Warehouse

FACTS_VERSION = 1


def column_sets(table: Table) -> dict[str, tuple[list[str], bool]]:
    """The column sets whose facts a shard keeps: name -> (columns in lower-cased name order,
    whether a digest is kept). Every integer key (`key:`), the foreign keys (`fk:`): a
    single-column one keeps only its bounds (its proof is a range), a multi-column one a digest."""
    out: dict[str, tuple[list[str], bool]] = {}

    def integer(names: Iterable[str]) -> list[str] | None:
        columns = [table.column(n) for n in names]
        if not columns or any(c is None or c.data_type not in INTEGER_TYPES for c in columns):
            return None
        return sorted((c.name for c in columns if c is not None), key=str.lower)

    for key in table.unique_keys():
        names = integer(key)
        if names:
            out["key:" + ",".join(key_id(names))] = (names, True)
    foreign = [[c.name] for c in table.columns if c.foreign_key is not None]
    foreign += [list(fk.columns) for fk in table.foreign_keys or []]
    for columns in foreign:
        names = integer(columns)
        if names:
            out["fk:" + ",".join(key_id(names))] = (names, len(names) > 1)
    return out


def shard_facts(table: Table, parquet: Path) -> dict[str, Any]:
    """The facts of one shard's Parquet object: its rows, and per column set the rows with no
    NULL in it, each column's MIN/MAX and (when kept) the digest. Reads only those columns."""
    sets = column_sets(table)
    wanted = sorted({n for names, _ in sets.values() for n in names})
    data = pq.read_table(parquet, columns=wanted) if wanted else None
    rows = pq.ParquetFile(parquet).metadata.num_rows if data is None else data.num_rows
    out: dict[str, Any] = {"version": FACTS_VERSION, "rows": rows, "sets": {}}
    if data is None:
        return out
    lowered = {n.lower(): n for n in data.column_names}
    for name, (names, digested) in sets.items():
        columns = [data.column(lowered[n.lower()]) for n in names]
        if any(not pa.types.is_integer(c.type) for c in columns):
            continue
        present: pa.ChunkedArray | None = None
        for c in columns:
            if c.null_count:
                valid = pc.is_valid(c)
                present = valid if present is None else pc.and_(present, valid)
        if present is not None:
            columns = [pc.filter(c, present) for c in columns]
        values = [np.asarray(c.to_numpy(), dtype=np.int64) for c in columns]
        count = len(values[0])
        facts: dict[str, Any] = {
            "rows": count,
            "min": [int(v.min()) for v in values] if count else [],
            "max": [int(v.max()) for v in values] if count else [],
        }
        if digested:
            facts["digest"] = list(value_digest(values))
        out["sets"][name] = facts
    return out


def load_with_facts(warehouse: Warehouse, target: Experiment, table: Table, parquet: Path,
                    ref: ShardRef) -> tuple[int, dict[str, Any]]:  # fmt: skip
    """Load one shard (exactly once: `Warehouse.load_shard`) and, on another thread while the
    engine ingests, the facts of the same Parquet object. A shard the ledger says was loaded
    already gets the same facts: a run's object is written once and never changes."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        facts = pool.submit(shard_facts, table, parquet)
        rows = warehouse.load_shard(target, table, parquet, ref)
        return rows, facts.result()


@dataclass
class LoadedSet:
    """A column set's facts over every loaded shard of a table."""

    rows: int = 0
    low: list[int] | None = None
    high: list[int] | None = None
    digest: tuple[int, int] | None = (0, 0)
    shards: int = 0

    def add(self, facts: Mapping[str, Any]) -> None:
        self.shards += 1
        self.rows += int(facts["rows"])
        if facts["min"]:
            low, high = list(facts["min"]), list(facts["max"])
            self.low = low if self.low is None else [min(a, b) for a, b in zip(self.low, low, strict=True)]  # fmt: skip
            self.high = high if self.high is None else [max(a, b) for a, b in zip(self.high, high, strict=True)]  # fmt: skip
        if self.digest is not None and "digest" in facts:
            first, second = facts["digest"]
            self.digest = (self.digest[0] + int(first), self.digest[1] + int(second))
        else:
            self.digest = None


@dataclass
class LoadedTable:
    """What the ledger says was loaded into a table: its rows, and its column sets' facts
    (None when a shard kept none, e.g. loaded before facts were kept)."""

    rows: int = 0
    sets: dict[str, LoadedSet] | None = field(default_factory=dict)
    shards: int = 0

    def bounds_of(self, name: str) -> tuple[LoadedSet, list[tuple[int, int]]] | None:
        found = (self.sets or {}).get(name)
        if found is None:
            return None
        if found.low is None or found.high is None:
            return found, []
        return found, list(zip(found.low, found.high, strict=True))


def loaded_tables(shards: Iterable[tuple[str, int, Mapping[str, Any] | None]]) -> dict[str, LoadedTable]:  # fmt: skip
    """Each table's `LoadedTable` (by lower-cased name) from its shards' (table, rows loaded,
    facts); a table with a shard without facts (or facts of another version) keeps no sets."""
    out: dict[str, LoadedTable] = {}
    for table, rows, facts in shards:
        loaded = out.setdefault(table.lower(), LoadedTable())
        loaded.rows += int(rows)
        loaded.shards += 1
        if facts is None or facts.get("version") != FACTS_VERSION or int(facts["rows"]) != rows:
            loaded.sets = None
        if loaded.sets is None or facts is None:
            continue
        for name, found in facts["sets"].items():
            loaded.sets.setdefault(name, LoadedSet()).add(found)
    for loaded in out.values():  # a set some shard did not report is not whole: dropped
        if loaded.sets is not None:
            loaded.sets = {k: v for k, v in loaded.sets.items() if v.shards == loaded.shards}
    return out
