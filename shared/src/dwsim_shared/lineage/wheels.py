"""Wheels for a bundle, made from what is installed here (no index, no build backend): the
bundle then installs offline, with `pip install --no-index --find-links wheels/`, exactly the
code and library builds that produced the run's data.

- The project's own generation package (`dwsim_shared`) is packed from its installed files
  (an editable install has only a `.pth` in its RECORD, and a deployed image has no source
  tree nor hatchling to build one): `dwsim_shared-<version>-py3-none-any.whl`, no
  dependencies declared (the bundle's `requirements.txt` pins them).
- A dependency is re-packed from its installed files as listed in its RECORD, with its own
  `WHEEL` tags, `METADATA` and a new `RECORD` (PEP 427). The bytes differ from the index's wheel
  (so the lock file's hashes do not apply to them) but the files are the ones this process
  imports. Scripts outside site-packages are left out (generation runs none).
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata as metadata
import os
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import dwsim_shared

# Fixed timestamps, so a wheel made twice from the same files has the same bytes.
_EPOCH = (1980, 1, 1, 0, 0, 0)


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name)


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return f"sha256={digest.decode()}"


def _write_wheel(target: Path, files: Iterable[tuple[str, bytes]], dist_info: str) -> Path:
    """A wheel at `target` holding `files` (archive name, bytes) plus a RECORD."""
    records: list[str] = []
    partial = target.with_name(target.name + f".{os.getpid()}.part")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
            records.append(f"{name},{_record_hash(data)},{len(data)}")
        record = f"{dist_info}/RECORD"
        records.append(f"{record},,")
        info = zipfile.ZipInfo(record, date_time=_EPOCH)
        info.external_attr = 0o644 << 16
        zf.writestr(info, "\n".join(records) + "\n")
    partial.replace(target)
    return target


def project_wheel(dest: Path) -> Path:
    """The wheel of the installed `dwsim_shared` package (its files, as this process runs them)."""
    version = metadata.version("dwsim-shared")
    dist_info = f"dwsim_shared-{version}.dist-info"
    package = Path(dwsim_shared.__file__).parent
    files = [
        (f"dwsim_shared/{path.relative_to(package).as_posix()}", path.read_bytes())
        for path in sorted(package.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    ]
    files.append(
        (f"{dist_info}/METADATA", f"Metadata-Version: 2.1\nName: dwsim-shared\nVersion: {version}\n"
         "Summary: DW Simulator's generation code, as it produced a bundled run\n".encode())
    )  # fmt: skip
    files.append(
        (f"{dist_info}/WHEEL", b"Wheel-Version: 1.0\nGenerator: dwsim-bundle\n"
         b"Root-Is-Purelib: true\nTag: py3-none-any\n")
    )  # fmt: skip
    dest.mkdir(parents=True, exist_ok=True)
    return _write_wheel(dest / f"dwsim_shared-{version}-py3-none-any.whl", files, dist_info)


def dependency_closure(names: Iterable[str]) -> list[metadata.Distribution]:
    """The installed distributions `names` and everything they require here (markers
    evaluated for this interpreter), each once."""
    found: dict[str, metadata.Distribution] = {}
    todo = [canonicalize_name(n) for n in names]
    while todo:
        name = todo.pop()
        if name in found:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # an optional requirement not installed: nothing imports it
        found[name] = dist
        for line in dist.requires or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(canonicalize_name(requirement.name))
    return [found[n] for n in sorted(found)]


def _tag(dist: metadata.Distribution) -> str:
    tags = [
        line.split(":", 1)[1].strip()
        for line in (dist.read_text("WHEEL") or "").splitlines()
        if line.startswith("Tag:")
    ]
    if not tags:
        return "py3-none-any"
    # One file name for several tags: their parts joined with "." (PEP 425 compressed sets).
    parts = [sorted({t.split("-")[i] for t in tags}) for i in range(3)]
    return "-".join(".".join(p) for p in parts)


def dependency_wheel(dist: metadata.Distribution, cache: Path) -> Path:
    """`dist` re-packed as a wheel from its installed files, made once per cache folder."""
    name, version = _normalized(dist.metadata["Name"]), dist.version
    target = cache / f"{name}-{version}-{_tag(dist)}.whl"
    if target.exists():
        return target
    dist_info = f"{name}-{version}.dist-info"
    base = Path(str(dist.locate_file("")))
    files: list[tuple[str, bytes]] = []
    for entry in dist.files or []:
        relative = entry.as_posix()
        if relative.startswith("..") or "__pycache__" in relative:
            continue  # scripts outside site-packages, and caches
        if relative.endswith(("/RECORD", "/INSTALLER", "/REQUESTED", "/direct_url.json")):
            continue
        path = base / relative
        if path.is_file():
            arcname = relative
            if relative.split("/", 1)[0].endswith(".dist-info"):
                arcname = f"{dist_info}/{relative.split('/', 1)[1]}"
            files.append((arcname, path.read_bytes()))
    cache.mkdir(parents=True, exist_ok=True)
    return _write_wheel(target, files, dist_info)
