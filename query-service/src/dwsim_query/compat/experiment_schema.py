"""The experiment's tables as the schema the translator types expressions with."""

from __future__ import annotations

from dwsim_query.compat.schema import Schema
from dwsim_shared.experiment import SEMI_STRUCTURED_TYPES, Experiment


def schema_of(experiment: Experiment) -> Schema:
    """{table: {column: type}}, names lower case as the pipeline folds them."""
    out: Schema = {}
    for table in experiment.tables:
        columns = {}
        for col in table.columns:
            kind = str(col.data_type)
            if kind == "DECIMAL":
                precision, scale = col.decimal_precision_scale
                kind = f"DECIMAL({precision}, {scale})"
            elif kind in ("VARCHAR", "CHAR") and col.varchar_length is not None:
                kind = f"{kind}({col.varchar_length})"
            elif kind in SEMI_STRUCTURED_TYPES:
                kind = "JSON"
            columns[col.name.lower()] = kind
        out[table.name.lower()] = columns
    return out
