"""The binary COPY stream's encoder thread (pure logic, no server): the same bytes as encoding
in line, the producer's error raised to the reader, and a stopped COPY stops the thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pyarrow as pa
import pytest

from dwsim_shared.warehouses.pg_binary import BinaryCopyStream, binary_plan

SCHEMA = pa.schema([("id", pa.int64()), ("name", pa.string())])
PLAN = binary_plan([("id", "bigint"), ("name", "text")], SCHEMA)


def _batches(count: int, fail_at: int | None = None) -> Iterator[pa.RecordBatch]:
    for i in range(count):
        if i == fail_at:
            raise ValueError("batch 3 is unreadable")
        ids = pa.array(range(i * 100, i * 100 + 100), pa.int64())
        yield pa.RecordBatch.from_arrays([ids, pa.array([f"n{v}" for v in ids.to_pylist()])],
                                         schema=SCHEMA)  # fmt: skip


def _drain(stream: BinaryCopyStream, size: int) -> bytes:
    out = []
    while piece := stream.read(size):
        out.append(piece)
    return b"".join(out)


@pytest.mark.parametrize("size", [7, 1 << 20])
def test_ahead_writes_the_same_bytes_as_in_line(size: int) -> None:
    assert PLAN is not None
    in_line = BinaryCopyStream(PLAN, _batches(10))
    ahead = BinaryCopyStream(PLAN, _batches(10), ahead=2)
    assert _drain(ahead, size) == _drain(in_line, size)
    assert ahead.rows == in_line.rows == 1000
    ahead.close()


def test_the_producers_error_reaches_the_reader() -> None:
    assert PLAN is not None
    stream = BinaryCopyStream(PLAN, _batches(10, fail_at=3), ahead=2)
    with pytest.raises(ValueError, match="batch 3 is unreadable"):
        _drain(stream, 1 << 20)
    stream.close()


def test_closing_a_stream_whose_copy_stopped_ends_its_thread() -> None:
    assert PLAN is not None
    stream = BinaryCopyStream(PLAN, _batches(1000), ahead=1)
    stream.read(1 << 20)  # COPY read the header, then failed: the producer waits on a full queue
    stream.close()
    assert not [t for t in threading.enumerate() if t.name == "dwsim-copy-encoder"]
