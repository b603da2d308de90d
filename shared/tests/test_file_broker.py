"""The embedded file broker writes each message whole before a worker can take it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from kombu import Connection


def _connection(folder: Path) -> Connection:
    options = {
        "data_folder_in": str(folder),
        "data_folder_out": str(folder),
        "store_processed": False,
    }
    return Connection(transport="dwsim_shared.file_broker:Transport", transport_options=options)


def test_a_message_is_renamed_into_place_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[list[str]] = []
    real_replace = os.replace

    def replace(src: str, dst: str) -> None:
        # At the moment of the rename, the queue holds no message of ours under a name it takes.
        seen.append(sorted(p.name for p in tmp_path.iterdir()))
        real_replace(src, dst)

    monkeypatch.setattr("dwsim_shared.file_broker.os.replace", replace)
    with _connection(tmp_path) as conn:
        queue = conn.SimpleQueue("load")
        queue.put({"shard": 1})
        assert seen and all(not name.endswith(".load.msg") for name in seen[0])
        assert all(name.startswith(".partial-") for name in seen[0])
        message = queue.get(timeout=5)
        assert message.payload == {"shard": 1}
        message.ack()
        queue.close()
    assert not list(tmp_path.glob(".partial-*"))
