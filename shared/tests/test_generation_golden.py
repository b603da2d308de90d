"""Generation through the rule registry and plan is byte-identical to the generator before it.

`golden/generation_digests.json` holds experiments (the benchmark experiments, the generation
tests' experiment and hypothesis-drawn ones) with the SHA-256 of their Arrow data as the
previous generator (one if-chain over `Column`'s fields) produced it, up to 3,000 rows a table
in shards of 1,100 rows, seed 7. Experiments whose rules changed on purpose are not in it
(docs/decisions.md, issue 10, lists them).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from dwsim_shared.experiment import Experiment
from dwsim_shared.generation import generate_shard

GOLDEN = json.loads((Path(__file__).parent / "golden" / "generation_digests.json").read_text())


def digest(exp: Experiment, table: str, targets: dict[str, int]) -> str:
    sha = hashlib.sha256()
    rows = targets[table]
    for start in range(0, rows, 1100):
        data = generate_shard(exp, table, seed=7, row_start=start,
                              row_count=min(1100, rows - start), row_targets=targets)  # fmt: skip
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, data.schema) as writer:
            writer.write_table(data)
        sha.update(sink.getvalue().to_pybytes())
    return sha.hexdigest()[:16]


@pytest.mark.parametrize("case", sorted(GOLDEN))
def test_same_bytes_as_before_the_rule_registry(case: str) -> None:
    entry: dict[str, Any] = GOLDEN[case]
    exp = Experiment.model_validate(entry["experiment"])
    targets = {t.name: min(t.target_rows, 3000) for t in exp.tables}
    assert {t: digest(exp, t, targets) for t in entry["tables"]} == entry["tables"]
