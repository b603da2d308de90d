"""The gateway's OpenAPI, fuzzed by schemathesis against real gateway and query-service
processes: no answer is a server error, every answer matches the documented schema (stricter as
response models are declared), and the gateway's memory stays under 1 GiB throughout.

`DWSIM_FUZZ_EXAMPLES` sets hypothesis's max_examples per operation (default 20)."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from dwsim_gateway.main import create_app
from dwsim_shared.devstack import Stack
from dwsim_shared.settings import Settings

EXAMPLES = int(os.environ.get("DWSIM_FUZZ_EXAMPLES", "20"))
TOKEN = "fuzz-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
GIB = 1 << 30
calls: Counter[str] = Counter()
# The last test reads what the others counted in `calls`: under pytest-xdist all run on one
# worker (the root conftest.py schedules this module as one unit; the mark is for loadgroup).
pytestmark = pytest.mark.xdist_group("fuzz")


@pytest.fixture(scope="module")
def fuzz_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    home = tmp_path_factory.mktemp("fuzz")
    env = {
        "DWSIM_HOME": str(home),
        "DWSIM_API_TOKEN": TOKEN,
        "DWSIM_INTERNAL_TOKEN": "fuzz-internal",
        # Small ceilings keep each example cheap; their refusals are fuzzed like the rest.
        "DWSIM_MAX_SHARDS_PER_RUN": "200",
        "DWSIM_QUERY_TIMEOUT_S": "5",
    }
    with Stack(
        env=env, generator_workers=0, loader_workers=0, log_dir=Path(home) / "logs"
    ) as stack:
        document = {"name": "fuzz", "tables": [{"name": "t", "target_rows": 10, "columns": [
            {"name": "id", "data_type": "INT", "is_unique": True}]}]}  # fmt: skip
        created = httpx.post(f"{stack.url}/api/experiments", json=document, headers=AUTH)
        assert created.status_code == 201, created.text
        yield stack


def _peak_rss_bytes(stack: Stack) -> int:
    gateway = next(p for p in stack.processes if p.name == "api-gateway")
    assert gateway.popen is not None
    status = Path(f"/proc/{gateway.popen.pid}/status").read_text()
    line = next(row for row in status.splitlines() if row.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024


# The document the gateway serves at /openapi.json, built without starting anything; the
# requests go over HTTP to the gateway process.
schema = schemathesis.openapi.from_dict(create_app(Settings()).openapi())


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_server_error_and_answers_match_the_schema(case, fuzz_stack: Stack) -> None:  # type: ignore[no-untyped-def]
    calls[case.operation.label] += 1
    case.call_and_validate(
        base_url=fuzz_stack.url,
        headers=AUTH,
        checks=[not_a_server_error, response_schema_conformance],
        timeout=30,
    )
    assert _peak_rss_bytes(fuzz_stack) < GIB


def test_fuzzing_covered_every_operation_and_memory_stayed_bounded(fuzz_stack: Stack) -> None:
    operations = {op.ok().label for op in schema.get_all_operations()}
    served = httpx.get(f"{fuzz_stack.url}/openapi.json").json()
    assert served == create_app(Settings()).openapi()  # the document fuzzed is the one served
    assert operations and set(calls) == operations, sorted(operations - set(calls))
    print(
        f"\nfuzz: {len(operations)} operations, {sum(calls.values())} examples "
        f"(max_examples={EXAMPLES} per operation and generation phase), gateway peak RSS "
        f"{_peak_rss_bytes(fuzz_stack) / 2**20:.0f} MiB"
    )
    assert _peak_rss_bytes(fuzz_stack) < GIB
    health = httpx.get(f"{fuzz_stack.url}/health")
    assert health.status_code == 200 and TOKEN not in health.text
