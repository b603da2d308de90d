"""`distribution`: numbers drawn from a named law (normal, lognormal, ...), clipped to the range."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from dwsim_shared.experiment import NUMERIC_TYPES, Experiment, Table
from dwsim_shared.generation.rules.base import Check, Problem
from dwsim_shared.generation.rules.range import RangeRule

# Values the report's expected moments are estimated from (fixed seed: same expectation always).
EXPECTATION_SAMPLE = 200_000


class DistributionRule(RangeRule):
    kind = "distribution"
    fields = ("distribution",)

    def problems(self, exp: Experiment, table: Table, rows: int, unique: bool) -> Iterator[Problem]:
        if self.column.data_type not in NUMERIC_TYPES:
            yield Problem(
                "distribution",
                f"a distribution needs a numeric column, not {self.column.data_type}",
            )
            return
        yield from super().problems(exp, table, rows, unique)

    def sample(self, low: float, high: float, n: int, rng: np.random.Generator) -> np.ndarray:
        dist = self.column.distribution
        assert dist is not None
        if dist.type == "uniform":
            return rng.uniform(low, high, n)
        p = dist.parameters
        mid, span = (low + high) / 2, (high - low) or 1.0
        if dist.type == "normal":
            values = rng.normal(p.get("mean", mid), p.get("stddev", span / 6), n)
        elif dist.type == "exponential":
            values = low + rng.exponential(
                p.get("scale", 1 / p["rate"] if "rate" in p else span / 5), n
            )
        elif dist.type == "beta":
            values = low + span * rng.beta(p.get("alpha", 2.0), p.get("beta", 5.0), n)
        elif dist.type == "lognormal":
            values = rng.lognormal(p.get("mean", 0.0), p.get("sigma", 1.0), n)
        elif dist.type == "poisson":
            values = rng.poisson(p.get("lambda", p.get("lam", 5.0)), n).astype(np.float64)
        else:  # zipf
            values = low - 1 + rng.zipf(p.get("s", p.get("a", 2.0)), n).astype(np.float64)
        return np.clip(values, low, high)

    def expected_moments(self) -> tuple[float, float, float]:
        """Mean, standard deviation and the spread of a variance estimate (sqrt(mu4 - sigma^4),
        which a sample variance's error scales with) of the values, as generated."""
        low, high = self.bounds()
        values = self.sample(low, high, EXPECTATION_SAMPLE, np.random.default_rng(0))
        if self.column.data_type in ("SMALLINT", "INT", "BIGINT"):
            values = np.rint(values)
        centred = values - values.mean()
        squared = centred * centred  # `** 4` is a pow() call per value: 100x slower
        variance = float(squared.mean())
        spread = float(np.sqrt(max(float((squared * squared).mean()) - variance**2, 0.0)))
        return float(values.mean()), float(np.sqrt(variance)), spread

    def checks(self, rows: int, key_size: int | None = None) -> list[Check]:
        if key_size is not None:  # key values come from the index, not from the law
            return super().checks(rows, key_size)
        mean, std, spread = self.expected_moments()
        dist = self.column.distribution
        assert dist is not None
        law = {"law": dist.type, "mean": mean, "stddev": std, "variance_spread": spread}
        return [*super().checks(rows), Check("distribution", law)]
