"""What the lake knows about each register resource, for the catalogue's status table.

The manifest (files and batches) and the quality results live in the lake as files and have
their own readers; rather than teaching dbt to read them a second way, the build writes one small
table per build (``_build/catalogue/resource_facts.json``) that the dbt source
``lake.resource_facts`` reads with the column types below. The quality score is
``govlake.quality.quality_scores``, the one definition of it. JSON rather than Parquet: building
a timestamp column with pyarrow imports pandas, a cost every build would pay for 20 rows.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from govlake.lake import Lake, atomic_path
from govlake.register import Register

# column → DuckDB type, in order: the one schema of the facts (the dbt source reads it)
COLUMNS = {
    "resource_id": "varchar",
    "files": "bigint",
    "waiting_files": "bigint",
    "rejected_files": "bigint",
    "batches": "bigint",
    "held_batches": "bigint",
    "rows_delivered": "bigint",
    "rows_accepted": "bigint",
    "rows_quarantined": "bigint",
    "last_batch_id": "varchar",
    "last_batch_date": "date",
    "last_delivered_at": "timestamptz",
    "quality_score": "double",
}
WITH_ROWS = frozenset({"ingested", "accepted", "held"})
RELATIVE_PATH = "_build/catalogue/resource_facts.json"


def facts_path(lake: Lake) -> Path:
    return lake.root / RELATIVE_PATH


def resource_facts(lake: Lake, register: Register) -> list[dict[str, Any]]:
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
        received = [dt.datetime.fromisoformat(e["received"]) for e in batches]
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
            "last_batch_date": latest["batch_date"] if latest else None,
            "last_delivered_at": max(received).isoformat() if received else None,
            "quality_score": scores.get(rid),
        })  # fmt: skip
    return rows


def _text(rows: list[dict[str, Any]]) -> str:
    return json.dumps(rows, ensure_ascii=False, indent=0, sort_keys=False)


def write_facts(lake: Lake, register: Register) -> Path:
    """Write the facts atomically; the catalogue models read them at build time."""
    target = facts_path(lake)
    with atomic_path(target) as tmp:
        tmp.write_text(_text(resource_facts(lake, register)), encoding="utf-8")
    return target


def facts_unchanged(lake: Lake, register: Register) -> bool:
    """Whether the facts the last build wrote are still what the lake says (no file delivered,
    rejected or gated since): then the catalogue tables need no rebuild for them."""
    path = facts_path(lake)
    current = _text(resource_facts(lake, register))
    return path.exists() and path.read_text(encoding="utf-8") == current
