"""What the lake knows about each register resource, for the catalogue's status table.

The manifest (files and batches) and the quality results live in the lake as files and have
their own readers; rather than teaching dbt to read them a second way, the build writes one small
Parquet table per build (``_build/catalogue/resource_facts.parquet``) that the dbt source
``lake.resource_facts`` reads. The quality score is ``govlake.quality.quality_scores``, the one
definition of it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from govlake.lake import Lake, atomic_path
from govlake.register import Register

SCHEMA = pa.schema([
    ("resource_id", pa.string()), ("files", pa.int64()), ("waiting_files", pa.int64()),
    ("rejected_files", pa.int64()), ("batches", pa.int64()), ("held_batches", pa.int64()),
    ("rows_delivered", pa.int64()), ("rows_accepted", pa.int64()),
    ("rows_quarantined", pa.int64()), ("last_batch_id", pa.string()),
    ("last_batch_date", pa.date32()), ("last_delivered_at", pa.timestamp("us", tz="UTC")),
    ("quality_score", pa.float64()),
])  # fmt: skip
WITH_ROWS = frozenset({"ingested", "accepted", "held"})


def facts_path(lake: Lake) -> Path:
    return lake.root / "_build" / "catalogue" / "resource_facts.parquet"


def resource_facts(lake: Lake, register: Register) -> pa.Table:
    """One row per register resource (zeros and nulls for one never delivered)."""
    from govlake.ingest import read_manifest
    from govlake.quality import quality_scores

    scores = quality_scores(lake)
    rows = []
    for rid in sorted(register.resources):
        entries = read_manifest(rid, lake=lake)
        batches = [e for e in entries if e.get("status") in WITH_ROWS]
        latest = max(
            batches, key=lambda e: (e.get("batch_date") or "", e["received"]), default=None
        )
        received = [e["received"] for e in batches]
        rows.append({
            "resource_id": rid,
            "files": len(entries),
            "waiting_files": sum(e.get("status") == "waiting" for e in entries),
            "rejected_files": sum(e.get("status") == "rejected" for e in entries),
            "batches": len(batches),
            "held_batches": sum(e.get("status") == "held" for e in entries),
            "rows_delivered": sum(e.get("rows") or 0 for e in batches),
            "rows_accepted": sum(e.get("accepted_rows") or 0 for e in batches),
            "rows_quarantined": sum(e.get("quarantined_rows") or 0 for e in batches),
            "last_batch_id": latest["batch_id"] if latest else None,
            "last_batch_date": dt.date.fromisoformat(latest["batch_date"]) if latest else None,
            "last_delivered_at": dt.datetime.fromisoformat(max(received)) if received else None,
            "quality_score": scores.get(rid),
        })  # fmt: skip
    return pa.Table.from_pylist(rows, schema=SCHEMA)


def write_facts(lake: Lake, register: Register) -> Path:
    """Write the facts table atomically; the catalogue models read it at build time."""
    target = facts_path(lake)
    table = resource_facts(lake, register)
    with atomic_path(target) as tmp:
        pq.write_table(table, tmp)
    return target


def facts_unchanged(lake: Lake, register: Register) -> bool:
    """Whether the facts the last build wrote are still what the lake says (no file delivered,
    rejected or gated since): then the catalogue tables need no rebuild for them."""
    path = facts_path(lake)
    return path.exists() and pq.read_table(path).equals(resource_facts(lake, register))
