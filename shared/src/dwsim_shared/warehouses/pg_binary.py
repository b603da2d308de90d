"""Arrow record batches as PostgreSQL binary COPY data (pgpq's encoder), for the Redshift mock.

Binary COPY carries no type per field: every value must already have the exact binary layout
of its target column (4 bytes for an `integer`, the `numeric` digit groups, a version byte
before `jsonb`, ...). So the target's column types are read from the catalog first, each
Arrow column is cast to the matching Arrow type, and pgpq is told which encoding to write.
A column type with no mapping here makes `binary_plan` answer None, and the caller keeps the
CSV path for that table: a slower load, never a different value.
"""

from __future__ import annotations

import io
import queue
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import pyarrow as pa
from pgpq import ArrowToPostgresBinaryEncoder
from pgpq.encoders import StringEncoderBuilder
from pgpq.schema import Jsonb, Text

# PostgreSQL's type names (as `format_type` spells them, modifiers removed) -> the Arrow type
# whose binary encoding is that type's. numeric keeps the shard's own decimal type (see below).
_ARROW_OF: dict[str, pa.DataType] = {
    "smallint": pa.int16(),
    "integer": pa.int32(),
    "bigint": pa.int64(),
    "real": pa.float32(),
    "double precision": pa.float64(),
    "text": pa.string(),
    "character varying": pa.string(),
    "character": pa.string(),
    "date": pa.date32(),
    "time without time zone": pa.time64("us"),
    "timestamp without time zone": pa.timestamp("us"),
    "timestamp with time zone": pa.timestamp("us", tz="UTC"),
    "boolean": pa.bool_(),
    "json": pa.string(),
    "jsonb": pa.string(),
}
_MODIFIERS = re.compile(r"\([^)]*\)")


@dataclass(frozen=True)
class BinaryPlan:
    """How to turn a shard's batches into the target table's binary COPY rows."""

    schema: pa.Schema  # the target's columns, in COPY order, with the Arrow type to encode
    jsonb: frozenset[str]  # columns whose text is written as jsonb

    def encoder(self) -> ArrowToPostgresBinaryEncoder:
        encoders = {
            field.name: (
                StringEncoderBuilder.new_with_output(field, Jsonb())
                if field.name in self.jsonb
                else StringEncoderBuilder.new_with_output(field, Text())
                if pa.types.is_string(field.type)
                else ArrowToPostgresBinaryEncoder.infer_encoder(field)
            )
            for field in self.schema
        }
        return ArrowToPostgresBinaryEncoder.new_with_encoders(self.schema, encoders)

    def conform(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        """The batch with the target's names and each column cast to the encoded type."""
        columns = []
        for column, field in zip(batch.columns, self.schema, strict=True):
            if column.type != field.type:
                # Floats narrow as PostgreSQL's float8 -> float4 input does (to nearest); every
                # other cast must be exact, or it raises and the load fails naming the column.
                safe = not (pa.types.is_floating(column.type) and pa.types.is_floating(field.type))
                column = column.cast(field.type, safe=safe)
            columns.append(column)
        return pa.RecordBatch.from_arrays(columns, schema=self.schema)


def binary_plan(
    column_types: Sequence[tuple[str, str]], shard_schema: pa.Schema
) -> BinaryPlan | None:
    """The plan for target columns `(name, format_type)` filled from a shard of `shard_schema`
    (same order), or None when a column has a type this encoder does not write exactly."""
    if len(column_types) != len(shard_schema):
        return None
    fields = []
    jsonb = set()
    for (name, spelled), source in zip(column_types, shard_schema, strict=True):
        base = _MODIFIERS.sub("", spelled).strip()
        if base == "numeric":
            if not pa.types.is_decimal128(source.type):
                return None  # a numeric filled from a float or an integer: keep the text path
            arrow_type: pa.DataType = source.type
        elif base in _ARROW_OF:
            arrow_type = _ARROW_OF[base]
        else:
            return None
        if base == "jsonb":
            jsonb.add(name)
        fields.append(pa.field(name, arrow_type))
    return BinaryPlan(pa.schema(fields), frozenset(jsonb))


class ChunkStream(io.RawIOBase):
    """A file object that COPY reads: each read hands out the next slice of the current chunk
    of `chunks` (the chunk itself when the read asks for all of it: no copy), so memory stays
    at one chunk."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._chunk = b""
        self._view = memoryview(b"")
        self._pos = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        while self._pos >= len(self._chunk):
            chunk = next(self._chunks, None)
            if chunk is None:
                return b""
            self._chunk, self._view, self._pos = chunk, memoryview(chunk), 0
        if self._pos == 0 and (size is None or size < 0 or size >= len(self._chunk)):
            self._pos = len(self._chunk)
            return self._chunk
        end = len(self._chunk) if size is None or size < 0 else self._pos + size
        piece = bytes(self._view[self._pos : end])
        self._pos += len(piece)
        return piece

    def readline(self, size: int | None = -1) -> bytes:  # COPY only calls read()
        return self.read(size)


class BinaryCopyStream(ChunkStream):
    """Record batches encoded as binary COPY data while COPY reads them; `rows` counts what was
    encoded. With `ahead` > 0 the batches are read, cast and encoded in a thread of their own,
    at most `ahead` chunks before the one COPY is sending (Parquet decoding and the casts
    release the GIL, and so does the driver while it sends): the shard's decoding overlaps the
    server's ingest instead of adding to it. `close()` stops that thread."""

    def __init__(
        self, plan: BinaryPlan, batches: Iterator[pa.RecordBatch], *, ahead: int = 0
    ) -> None:
        self._plan = plan
        self._encoder = plan.encoder()
        self.rows = 0
        self._ahead: _Ahead | None = None
        chunks = self._encode(batches)
        if ahead > 0:
            self._ahead = _Ahead(chunks, ahead)
            chunks = iter(self._ahead)
        super().__init__(chunks)

    def _encode(self, batches: Iterator[pa.RecordBatch]) -> Iterator[bytes]:
        yield self._encoder.write_header()
        for batch in batches:
            self.rows += batch.num_rows
            yield self._encoder.write_batch(self._plan.conform(batch))
        yield self._encoder.finish()

    def close(self) -> None:
        if self._ahead is not None:
            self._ahead.stop()
        super().close()


_DONE = object()


class _Ahead:
    """`chunks` produced by a daemon thread into a queue of `depth`; iterating takes them in
    order and re-raises what the producer raised."""

    def __init__(self, chunks: Iterator[bytes], depth: int) -> None:
        self._queue: queue.Queue[object] = queue.Queue(maxsize=depth)
        self._stopped = threading.Event()
        self._thread = threading.Thread(
            target=self._produce, args=(chunks,), name="dwsim-copy-encoder", daemon=True
        )
        self._thread.start()

    def _put(self, item: object) -> bool:
        while not self._stopped.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _produce(self, chunks: Iterator[bytes]) -> None:
        try:
            for chunk in chunks:
                if not self._put(chunk):
                    return
        except BaseException as error:  # handed to the reader, which raises it
            self._put(error)
            return
        self._put(_DONE)

    def __iter__(self) -> Iterator[bytes]:
        while True:
            item = self._queue.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            assert isinstance(item, bytes)
            yield item

    def stop(self) -> None:
        """Stop producing (COPY failed or ended) and wait for the thread."""
        self._stopped.set()
        self._thread.join()
