"""OpenLineage events about runs, sent through the `openlineage-python` client.

A run's life-cycle steps (lineage/history.py) become events: generate, load and retry START,
publish COMPLETE (plus a validation job whose inputs carry the report as data-quality
assertions), fail FAIL, abort ABORT. An event is built in the step's transaction and sent only
once that transaction commits, from a background thread through a bounded queue: a lineage
endpoint that fails or hangs costs a log line and never a run's time (a full queue drops the
event, logged). Transport: `DWSIM_OPENLINEAGE_URL` (HTTP, e.g. Marquez), else a JSON-lines
file under `DWSIM_HOME/openlineage/`; `DWSIM_OPENLINEAGE=off` sends nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import queue
import threading
import uuid
from typing import Any
from urllib.parse import urlsplit

import attr
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import (
    InputDataset,
    Job,
    OutputDataset,
    Run,
    RunEvent,
    RunState,
)
from openlineage.client.facet_v2 import (
    RunFacet,
    data_quality_assertions_dataset,
    datasource_dataset,
    error_message_run,
    job_type_job,
    nominal_time_run,
    output_statistics_output_dataset,
    parent_run,
    schema_dataset,
)
from openlineage.client.transport.file import FileConfig, FileTransport
from openlineage.client.transport.http import HttpConfig, HttpTransport
from openlineage.client.transport.transport import Transport
from sqlalchemy import event as sa_event
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dwsim_shared.settings import Settings
from dwsim_shared.state.models import ExperimentRow, RunRow, RunShardRow, utcnow

log = logging.getLogger(__name__)

PRODUCER = "https://github.com/dw-simulator/dw-simulator"
RUN_NAMESPACE = uuid.UUID("6f1c2a4e-3b8d-5e7f-9a0b-1c2d3e4f5a6b")
QUEUE_SIZE = 1_000
STATES = {
    "generate": RunState.START,
    "load": RunState.START,
    "retry": RunState.START,
    "publish": RunState.COMPLETE,
    "fail": RunState.FAIL,
    "abort": RunState.ABORT,
}
_PENDING = "dwsim_openlineage_pending"


@attr.define
class DwsimRunFacet(RunFacet):
    """What makes a run reproducible: its seed, plan digest and the versions that shaped it."""

    seed: int
    planDigest: str | None
    shardSize: int
    rowTargets: dict[str, int]
    kind: str
    experimentVersion: int | None = None
    # Run numbers within the experiment (what the API calls `run_id`), not the internal ids.
    sourceRunId: int | None = None
    provenance: dict[str, Any] | None = None
    runNumber: int | None = None

    @staticmethod
    def _get_schema() -> str:
        return "https://dw-simulator.dev/spec/facets/1-0-0/DwsimRunFacet.json"


def run_uuid(experiment: str, run_id: int) -> str:
    """A stable OpenLineage run id (a UUID, as the spec wants) for one of our runs, from its
    INTERNAL id: an experiment deleted and created again numbers its runs from 1 again, and
    its runs must not take the UUIDs of the old ones (the facet carries `runNumber`)."""
    return str(uuid.uuid5(RUN_NAMESPACE, f"{experiment}/{run_id}"))


class Emitter:
    """Sends events from one background thread through a bounded queue (restarted after fork)."""

    def __init__(self, transport: Transport, settings: Settings) -> None:
        self.client = OpenLineageClient(transport=transport)
        self.settings = settings
        self.queue: queue.Queue[RunEvent] = queue.Queue(QUEUE_SIZE)
        self._pid = -1
        self._lock = threading.Lock()

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self.queue = queue.Queue(QUEUE_SIZE)  # a forked child starts with its own
            threading.Thread(target=self._send_forever, name="openlineage", daemon=True).start()

    def emit(self, event: RunEvent) -> None:
        self._ensure_thread()
        try:
            self.queue.put_nowait(event)
        except queue.Full:
            log.warning("OpenLineage queue full: %s event of %s dropped",
                        event.eventType, event.job.name)  # fmt: skip

    def _send_forever(self) -> None:
        while True:
            event = self.queue.get()
            try:
                self.client.emit(event)
            except Exception as error:  # whatever the endpoint does, runs go on
                log.warning("OpenLineage %s event of %s not sent: %s",
                            event.eventType, event.job.name, error)  # fmt: skip
            finally:
                self.queue.task_done()

    def drain(self, timeout_s: float = 10.0) -> bool:
        """Wait until every queued event was handled (tests, shutdown); False on timeout."""
        done = threading.Event()

        def wait() -> None:
            self.queue.join()
            done.set()

        threading.Thread(target=wait, daemon=True).start()
        return done.wait(timeout_s)


_emitter: Emitter | None = None


def make_transport(settings: Settings) -> Transport | None:
    if not settings.openlineage:
        return None
    if settings.openlineage_url:
        retry = {"total": 1, "connect": 1, "read": 0, "backoff_factor": 0.2,
                 "status_forcelist": [502, 503, 504], "allowed_methods": ["POST"]}  # fmt: skip
        return HttpTransport(
            HttpConfig(
                url=settings.openlineage_url, timeout=settings.openlineage_timeout_s, retry=retry
            )
        )
    folder = settings.home / "openlineage"
    folder.mkdir(parents=True, exist_ok=True)
    return FileTransport(FileConfig(log_file_path=str(folder / "events.jsonl"), append=True))


def configure(settings: Settings) -> Emitter | None:
    """Set up this process's emitter from the settings (services call it at start-up)."""
    global _emitter
    try:
        transport = make_transport(settings)
    except Exception as error:
        log.warning("OpenLineage disabled: its transport could not be set up: %s", error)
        transport = None
    _emitter = Emitter(transport, settings) if transport is not None else None
    return _emitter


def current() -> Emitter | None:
    return _emitter


def queue_run_event(session: Session, run_id: int, kind: str) -> None:
    """Build the OpenLineage event of a run's step now; it is sent once the session commits."""
    if _emitter is None or kind not in STATES:
        return
    try:
        events = build_events(session, _emitter.settings, run_id, kind)
    except Exception:  # lineage is never worth failing a run's step for
        log.warning("OpenLineage event %s of run %s could not be built", kind, run_id,
                    exc_info=True)  # fmt: skip
        return
    session.info.setdefault(_PENDING, []).extend(events)


@sa_event.listens_for(Session, "after_commit")
def _send_pending(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending and _emitter is not None:
        for event in pending:
            _emitter.emit(event)


@sa_event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


# --- building events ------------------------------------------------------------------------


def warehouse_namespace(settings: Settings, warehouse: str) -> str:
    """Where a warehouse's tables live, in OpenLineage's naming (scheme://authority)."""
    if warehouse == "redshift" and settings.redshift_url:
        parts = urlsplit(settings.redshift_url)
        scheme = "redshift" if "redshift.amazonaws.com" in (parts.hostname or "") else "postgres"
        return f"{scheme}://{parts.hostname}:{parts.port or 5432}"
    if warehouse == "snowflake":
        where = settings.snowflake_account or f"{settings.snowflake_host}:{settings.snowflake_port}"
        return f"snowflake://{where}"
    return f"sqlite://{settings.sqlite_warehouse_dir}"


def _utc(value: dt.datetime) -> dt.datetime:
    # SQLite gives timestamps back without their zone; they were written in UTC.
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _fields(table: dict[str, Any]) -> list[schema_dataset.SchemaDatasetFacetFields]:
    return [
        schema_dataset.SchemaDatasetFacetFields(name=c["name"], type=str(c.get("data_type")))
        for c in table.get("columns", [])
    ]


def build_events(session: Session, settings: Settings, run_id: int, kind: str) -> list[RunEvent]:
    session.flush()
    run = session.execute(select(RunRow).where(RunRow.id == run_id)).scalar_one()
    session.refresh(run)  # bulk updates of this transaction (publish, fail) are not in its state
    experiment = session.get(ExperimentRow, run.experiment_id)
    assert experiment is not None
    name = experiment.name
    state = STATES[kind]
    source = session.get(RunRow, run.source_run_id) if run.source_run_id is not None else None
    now = utcnow().isoformat()
    run_facets: dict[str, RunFacet] = {
        "nominalTime": nominal_time_run.NominalTimeRunFacet(
            nominalStartTime=_utc(run.created_at).isoformat(), producer=PRODUCER
        ),
        "dwsim": DwsimRunFacet(
            seed=run.seed, planDigest=run.plan_digest, shardSize=run.shard_size,
            rowTargets=dict(run.row_targets), kind=run.kind,
            experimentVersion=run.experiment_version,
            sourceRunId=source.number if source is not None else None,
            provenance=run.provenance, runNumber=run.number, producer=PRODUCER,
        ),
    }  # fmt: skip
    if state == RunState.FAIL and run.error:
        run_facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
            message=run.error, programmingLanguage="python", producer=PRODUCER
        )
    job = Job(
        namespace=settings.openlineage_namespace,
        name=name,
        facets={
            "jobType": job_type_job.JobTypeJobFacet(
                processingType="BATCH", integration="DWSIM", jobType=run.kind.upper(),
                producer=PRODUCER,
            )
        },
    )  # fmt: skip
    stats = {
        table: (int(rows or 0), int(size or 0), int(files))
        for table, rows, size, files in session.execute(
            select(
                RunShardRow.table_name,
                func.sum(RunShardRow.rows_written),
                func.sum(RunShardRow.object_bytes),
                func.count(),
            )
            .where(RunShardRow.run_id == run.id)
            .group_by(RunShardRow.table_name)
        )
    }
    tables = {t["name"]: t for t in run.schema_json.get("tables", [])}
    store = settings.resolved_object_store.rstrip("/")
    store_source = datasource_dataset.DatasourceDatasetFacet(
        name=store, uri=store, producer=PRODUCER
    )
    wh_namespace = warehouse_namespace(settings, run.warehouse)
    wh_source = datasource_dataset.DatasourceDatasetFacet(
        name=wh_namespace, uri=wh_namespace, producer=PRODUCER
    )
    complete = state == RunState.COMPLETE
    outputs: list[OutputDataset] = []
    inputs: list[InputDataset] = []
    owner = run.source_run_id if run.kind == "load" and run.source_run_id else run.id
    for table, definition in tables.items():
        schema = schema_dataset.SchemaDatasetFacet(fields=_fields(definition), producer=PRODUCER)
        rows, size, files = stats.get(table, (0, 0, 0))
        prefix = f"experiments/{name}/{table}/run_{owner}"
        object_facets = {"schema": schema, "dataSource": store_source}
        if run.kind == "load":
            inputs.append(InputDataset(namespace=store, name=prefix, facets=object_facets))
        else:
            outputs.append(
                OutputDataset(
                    namespace=store, name=prefix, facets=object_facets,
                    outputFacets=_statistics(rows, size, files) if complete else {},
                )
            )  # fmt: skip
        loaded = (run.reconciled_counts or {}).get(table, rows)
        outputs.append(
            OutputDataset(
                namespace=wh_namespace, name=f"{name}.{table}",
                facets={"schema": schema, "dataSource": wh_source},
                outputFacets=_statistics(loaded, None, None) if complete else {},
            )
        )  # fmt: skip
    events = [
        RunEvent(
            eventType=state, eventTime=now, producer=PRODUCER,
            run=Run(runId=run_uuid(name, run.id), facets=run_facets), job=job,
            inputs=inputs, outputs=outputs,
        )
    ]  # fmt: skip
    if complete and run.report:
        events += _validation_events(settings, run, name, job, wh_namespace, wh_source, now)
    return events


def _statistics(rows: int, size: int | None, files: int | None) -> dict[str, Any]:
    facet = output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
        rowCount=rows, size=size, fileCount=files, producer=PRODUCER
    )
    return {"outputStatistics": facet}


def _validation_events(
    settings: Settings, run: RunRow, name: str, parent: Job, namespace: str, source: Any, now: str
) -> list[RunEvent]:
    """The validation report as its own job (`NAME.validation`), child of the run, reading the
    published tables: data-quality assertions are input facets in the spec."""
    assertions: dict[str, list[Any]] = {}
    for check in (run.report or {}).get("checks", []):
        assertions.setdefault(check["table"], []).append(
            data_quality_assertions_dataset.Assertion(
                assertion=check["check"], success=bool(check["pass"]), column=check.get("column")
            )
        )
    inputs = [
        InputDataset(
            namespace=namespace, name=f"{name}.{table}", facets={"dataSource": source},
            inputFacets={"dataQualityAssertions":
                data_quality_assertions_dataset.DataQualityAssertionsDatasetFacet(
                    assertions=found, producer=PRODUCER)},
        )
        for table, found in assertions.items()
    ]  # fmt: skip
    parent_facet = parent_run.ParentRunFacet(
        run=parent_run.Run(runId=run_uuid(name, run.id)),
        job=parent_run.Job(namespace=parent.namespace, name=parent.name),
        producer=PRODUCER,
    )
    job = Job(namespace=settings.openlineage_namespace, name=f"{name}.validation")
    run_id = str(uuid.uuid5(RUN_NAMESPACE, f"{name}/{run.id}/validation"))
    return [
        RunEvent(
            eventType=state, eventTime=now, producer=PRODUCER,
            run=Run(runId=run_id, facets={"parent": parent_facet}), job=job,
            inputs=inputs if state == RunState.COMPLETE else [], outputs=[],
        )
        for state in (RunState.START, RunState.COMPLETE)
    ]  # fmt: skip
