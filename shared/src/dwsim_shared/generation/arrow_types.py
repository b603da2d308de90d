"""Arrow types of the model's canonical data types."""

from __future__ import annotations

import pyarrow as pa

from dwsim_shared.experiment import SEMI_STRUCTURED_TYPES, Column

ARROW_TYPES: dict[str, pa.DataType] = {
    "SMALLINT": pa.int16(),
    "INT": pa.int32(),
    "BIGINT": pa.int64(),
    "FLOAT": pa.float64(),
    "VARCHAR": pa.string(),
    "CHAR": pa.string(),
    "DATE": pa.date32(),
    "TIME": pa.time64("us"),
    "TIMESTAMP": pa.timestamp("us"),
    "TIMESTAMPTZ": pa.timestamp("us", tz="UTC"),
    "BOOLEAN": pa.bool_(),
    **{name: pa.string() for name in SEMI_STRUCTURED_TYPES},  # JSON documents as text
}


def arrow_type(col: Column) -> pa.DataType:
    if col.data_type == "DECIMAL":
        precision, scale = col.decimal_precision_scale
        return pa.decimal128(precision, scale)
    return ARROW_TYPES[col.data_type]
