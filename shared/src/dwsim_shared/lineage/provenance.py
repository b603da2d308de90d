"""What produced a run's bytes besides its seed: the document, the project and the libraries.

The lock file digest is read at run time from the `uv.lock` that sits beside the installed
workspace (the repository in development, `/app` in the images, which copy it there); an
install without one records `null` rather than a guess. `DWSIM_LOCK_FILE` names another.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import json
import os
from pathlib import Path
from typing import Any

# Libraries whose release can change the values or bytes a seed produces: Faker's pools,
# NumPy's generators, PyArrow's Parquet writer (it writes its own version into each file).
VALUE_SHAPING = ("faker", "numpy", "pyarrow")
PROJECT_DISTRIBUTION = "dwsim-shared"


def document_digest(document: dict[str, Any]) -> str:
    """SHA-256 of the document's canonical JSON (sorted keys, no spaces).

    >>> document_digest({"b": 1, "a": [1, 2]}) == document_digest({"a": [1, 2], "b": 1})
    True
    """
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def lock_file() -> Path | None:
    """The workspace's `uv.lock`: `DWSIM_LOCK_FILE`, else the nearest one above this package."""
    if named := os.environ.get("DWSIM_LOCK_FILE"):
        path = Path(named)
        return path if path.is_file() else None
    for folder in Path(__file__).resolve().parents:
        candidate = folder / "uv.lock"
        if candidate.is_file():
            return candidate
    return None


@functools.cache
def _lock_digest(path: Path | None, mtime: float) -> str | None:
    if path is None:
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()


def environment() -> dict[str, Any]:
    """The project's version, the lock file's digest and the value-shaping libraries' versions."""
    path = lock_file()
    return {
        "project_version": _version(PROJECT_DISTRIBUTION),
        "lock_digest": _lock_digest(path, path.stat().st_mtime if path else 0.0),
        "libraries": {name: _version(name) for name in VALUE_SHAPING},
    }


def run_provenance(document: dict[str, Any]) -> dict[str, Any]:
    return {"document_digest": document_digest(document), **environment()}


def library_mismatches(recorded: dict[str, Any], installed: dict[str, Any]) -> list[str]:
    """One sentence per value-shaping library whose recorded version differs from the installed.

    >>> library_mismatches({"libraries": {"faker": "1"}}, {"libraries": {"faker": "2"}})
    ['faker 1 produced the recorded data, 2 is installed: values may differ']
    """
    were, are = recorded.get("libraries") or {}, installed.get("libraries") or {}
    return [
        f"{name} {were[name]} produced the recorded data, {are.get(name)} is installed: "
        "values may differ"
        for name in sorted(were)
        if were[name] != are.get(name)
    ]


def file_checksum(path: Path) -> tuple[str, int]:
    """SHA-256 (hex) and size in bytes of a file, read in blocks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as stream:
        while block := stream.read(1 << 20):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size
