"""VARIANT, SUPER, JSON, ARRAY, OBJECT: small JSON documents (an array for ARRAY)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dwsim_shared.experiment import SEMI_STRUCTURED_TYPES
from dwsim_shared.generation.rules.base import ColumnContext, Rule


def json_documents(
    ctx: ColumnContext, indices: np.ndarray, rng: np.random.Generator | None
) -> pa.Array:
    """Documents keyed by the row index; random scores and tags unless `rng` is None (unique)."""
    ids = pc.cast(pa.array(indices), pa.string())
    # A row's score and tag drawn together (row-major): row i depends on no later row.
    drawn = None if rng is None else rng.integers(0, [1000, 4], size=(len(indices), 2))
    if drawn is None:
        scores = pc.cast(pa.array(indices % 1000, type=pa.int64()), pa.string())
    else:
        scores = pc.cast(pa.array(drawn[:, 0]), pa.string())
    if ctx.column.data_type == "ARRAY":
        return pc.binary_join_element_wise("[", ids, ", ", scores, "]", "")
    tags = pa.array(['"new"', '"sale"', '"gift"', '"vip"'])
    tag = tags.take(pa.array(indices % 4 if drawn is None else drawn[:, 1]))
    return pc.binary_join_element_wise(
        '{"id": ', ids, ', "score": ', scores, ', "tags": [', tag, "]}", ""
    )


class SemiStructuredRule(Rule):
    kind = "semi_structured"
    types = SEMI_STRUCTURED_TYPES

    @classmethod
    def selects(cls, column: object) -> bool:
        return False  # chosen by data type only

    def generate(
        self, ctx: ColumnContext, indices: np.ndarray, rng: np.random.Generator
    ) -> pa.Array:
        return json_documents(ctx, indices, rng)

    def value_at(
        self, ctx: ColumnContext, indices: np.ndarray, *, permuted: bool = True
    ) -> pa.Array:
        return json_documents(ctx, indices, None)
