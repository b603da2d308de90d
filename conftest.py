"""Root conftest: load the project's pytest plugin for every package's tests."""

# Imported up front on purpose: hypothesis's pytest plugin otherwise imports it lazily in the
# terminal summary, deep in pytest's hook stack, where CPython 3.11.7's parser can fail with
# "AST constructor recursion depth mismatch" for runs that use no hypothesis test.
import os
import re
import signal

import hypothesis  # noqa: F401
import pytest

pytest_plugins = ["dwsim_shared.testing.fixtures"]


def pytest_configure(config: pytest.Config) -> None:
    # The tests' own Snowflake clients (the wire endpoint's tests, dbt) skip the connector's
    # login telemetry probes of cloud metadata services (0.2 s and an AWS session per
    # connection); the project's own connections turn them off themselves.
    os.environ.setdefault("SNOWFLAKE_DISABLE_PLATFORM_DETECTION", "true")
    # `make test` runs the fuzz module as a background job, which starts with Ctrl-C ignored:
    # let the recipe's trap interrupt it, so its stack is torn down like a foreground run's.
    if (
        not os.environ.get("PYTEST_XDIST_WORKER")
        and signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    ):
        signal.signal(signal.SIGINT, signal.default_int_handler)


# pytest-xdist (`make test` runs `-n 2`): which tests must share a worker. Its own
# `--dist loadgroup` does not work with pytest 9.2 (it renames `item._nodeid`, which pytest no
# longer reads), so the scheduler here groups by node id, in the controller (which collects
# nothing): the end-to-end tests of one back end run on one worker, so each whole stack starts
# once per session; a module with a stack of its own (outages, browser) or with tests that read
# what the others did (fuzz) is one unit; every other test is a unit by itself.
BACKEND_ID = re.compile(r"\[(?:[^\]]*-)?(embedded|distributed|snowflake)(?:-[^\]]*)?\]$")
ONE_UNIT = (
    "tests/test_outages.py",
    "tests/test_openlineage.py",
    "tests/browser/",
    "api-gateway/tests/test_fuzz.py",
    # Its module stack (an emulator loaded with an experiment, the endpoint) took 19-34 s to
    # start on each of the four workers that drew one of its tests.
    "query-service/tests/test_snowflake_endpoint.py",
    # Module stacks of their own (a corpus loaded on three engines; an endpoint; a persistent
    # emulator) that 3-4 workers each started when their tests were spread (10-12 s each for
    # the corpus): each module's tests run on one worker, its stack starts once.
    "query-service/tests/test_corpus.py",
    "query-service/tests/test_redshift_endpoint.py",
    "query-service/tests/test_endpoint_connection.py",
    "query-service/tests/test_endpoint_copy.py",
    "query-service/tests/test_memory_bounds.py",
    "shared/tests/test_emulator_persist.py",
    # The longest test (an offline install from the bundle, a second stack a year ahead): in
    # the embedded back end's unit it made that worker's chain the run's longest; on its own,
    # another worker runs it beside that chain (an embedded stack of its own where it lands).
    "tests/test_bundles.py",
)


# Modules whose tests use the session's stack of one back end without naming it in their ids:
# they go with that back end's unit, so its stack is not started on another worker for them.
ON_A_SESSION_STACK = {
    "tests/test_concurrency.py": "live-distributed",
    # Its tests drive the Redshift mock's stack with the browser: on the worker whose stack that
    # is, they cost a browser launch there instead of a second distributed stack (31-127 s to
    # start on the browser modules' worker).
    "tests/browser/test_connect_panel.py": "live-distributed",
}


def xdist_unit(nodeid: str) -> str:
    path = nodeid.split("::", 1)[0]
    if path in ON_A_SESSION_STACK:
        return ON_A_SESSION_STACK[path]
    for prefix in ONE_UNIT:
        if path.startswith(prefix):
            return prefix
    if path.startswith("tests/") and (found := BACKEND_ID.search(nodeid)):
        return f"live-{found.group(1)}"
    return nodeid


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    from xdist.scheduler import LoadScopeScheduling

    class StackScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return xdist_unit(nodeid)

    return StackScheduling(config, log)
