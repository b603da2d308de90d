"""Baseline `faker_per_row`: how the original system generated orders_wide, one dict per row.

A seeded `Faker()` for email and first_name, `random` for the rest, uniqueness
kept with a set, batches of 100,000 rows turned into pyarrow tables and
appended to one zstd Parquet file.
"""

from __future__ import annotations

import datetime as dt
import random
import tempfile
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from faker import Faker

BATCH_ROWS = 100_000
FIRST_DAY = dt.date(2020, 1, 1)
LAST_DAY = dt.date(2024, 12, 31)
STATUSES = ["new", "paid", "shipped", "cancelled"]
STATUS_WEIGHTS = [0.1, 0.5, 0.35, 0.05]
SCHEMA = pa.schema(
    [
        pa.field("id", pa.int64(), nullable=False),
        pa.field("customer_id", pa.int32(), nullable=False),
        pa.field("email", pa.string(), nullable=False),
        pa.field("first_name", pa.string(), nullable=False),
        pa.field("amount", pa.float64(), nullable=False),
        pa.field("quantity", pa.int32(), nullable=False),
        pa.field("order_date", pa.date32(), nullable=False),
        pa.field("created_at", pa.timestamp("us"), nullable=False),
        pa.field("status", pa.string(), nullable=False),
        pa.field("is_gift", pa.bool_(), nullable=False),
    ]
)


def _unique_email(fake: Faker, seen: set[str]) -> str:
    email = fake.email()
    tries = 0
    while email in seen:
        tries += 1
        email = fake.email() if tries < 100 else f"{tries}.{fake.email()}"
    seen.add(email)
    return email


def generate(rows: int, path: Path, seed: int = 42) -> int:
    """Write `rows` orders_wide rows to `path`, the per-row way; returns the rows written."""
    fake = Faker()
    fake.seed_instance(seed)
    rnd = random.Random(seed)
    days = (LAST_DAY - FIRST_DAY).days
    first_moment = dt.datetime.combine(FIRST_DAY, dt.time())
    seen_emails: set[str] = set()
    batch: list[dict[str, Any]] = []
    with pq.ParquetWriter(path, SCHEMA, compression="zstd") as writer:
        for row_id in range(1, rows + 1):
            batch.append(
                {
                    "id": row_id,
                    "customer_id": rnd.randint(1, 100_000),
                    "email": _unique_email(fake, seen_emails)[:100],
                    "first_name": fake.first_name()[:50],
                    "amount": round(min(max(rnd.gauss(100, 30), 0.0), 1000.0), 4),
                    "quantity": rnd.randint(1, 20),
                    "order_date": FIRST_DAY + dt.timedelta(days=rnd.randint(0, days)),
                    "created_at": first_moment
                    + dt.timedelta(days=rnd.randint(0, days), seconds=rnd.randrange(86_400)),
                    "status": rnd.choices(STATUSES, STATUS_WEIGHTS)[0],
                    "is_gift": rnd.random() < 0.1,
                }
            )
            if len(batch) == BATCH_ROWS:
                writer.write_table(pa.Table.from_pylist(batch, schema=SCHEMA))
                batch = []
        if batch:
            writer.write_table(pa.Table.from_pylist(batch, schema=SCHEMA))
    return rows


def workload(rows: int) -> dict[str, Any]:
    """Run in a fresh process by `measure.run_isolated`: rows and seconds of the baseline."""
    with tempfile.TemporaryDirectory(prefix="dwsim-bench-baseline-") as tmp:
        path = Path(tmp) / "orders_wide.parquet"
        started = time.perf_counter()
        written = generate(rows, path)
        seconds = time.perf_counter() - started
        size = path.stat().st_size
    return {"rows": written, "seconds": seconds, "bytes": size}
