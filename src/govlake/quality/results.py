"""The ``quality_results`` table, the quality score and the summary the CLI prints.

``quality_results/<resource>/<batch>.parquet`` holds one row per expectation per gate run of
that batch; a rerun appends a run (``run_id``) rather than rewriting history. The latest run
of each batch is what counts. The GX result of the latest run is kept beside it
(``_gx/<batch>.json``) for Data Docs.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from govlake.lake import Lake, atomic_path

if TYPE_CHECKING:
    import duckdb

    from govlake.quality.verdict import GateResult, Validation

#: How many of a resource's latest batches its quality score looks at (quality/README.md).
SCORE_BATCHES = 5

SCHEMA = pa.schema([
    ("resource", pa.string()), ("batch_id", pa.string()), ("batch_date", pa.date32()),
    ("run_id", pa.string()), ("run_at", pa.timestamp("us", tz="UTC")),
    ("expectation", pa.string()), ("expectation_type", pa.string()), ("column_name", pa.string()),
    ("evaluated", pa.int64()), ("failed", pa.int64()), ("success", pa.bool_()),
    ("duration_s", pa.float64()), ("rows_delivered", pa.int64()),
    ("rows_quarantined", pa.int64()), ("held", pa.bool_()),
])  # fmt: skip


def gx_result_path(lake: Lake, resource: str, batch_id: str) -> Path:
    return lake.quality_results(resource) / "_gx" / f"{batch_id}.json"


def write_results(lake: Lake, result: GateResult, validation: Validation) -> Path:
    """Append this run's rows to the batch's results file (atomic) and keep its GX result."""
    run_at = dt.datetime.now(dt.UTC)
    rows = [
        {
            "resource": result.resource, "batch_id": result.batch_id,
            "batch_date": dt.date.fromisoformat(result.batch_date), "run_id": result.run_id,
            "run_at": run_at, **r, "duration_s": round(validation.duration_s, 4),
            "rows_delivered": result.delivered, "rows_quarantined": result.quarantined,
            "held": result.held,
        }
        for r in validation.rows
    ]  # fmt: skip
    new = pa.Table.from_pylist([{k: row[k] for k in SCHEMA.names} for row in rows], schema=SCHEMA)
    target = lake.quality_results(result.resource) / f"{result.batch_id}.parquet"
    if target.exists():
        new = pa.concat_tables([pq.read_table(target).select(SCHEMA.names).cast(SCHEMA), new])
    with atomic_path(target) as tmp:
        pq.write_table(new, tmp)
    gx_path = gx_result_path(lake, result.resource, result.batch_id)
    with atomic_path(gx_path) as tmp:
        stored = {
            "batch_id": result.batch_id,
            "run_id": result.run_id,
            "result": validation.gx_result,
        }
        tmp.write_text(json.dumps(stored, ensure_ascii=False, default=str), encoding="utf-8")
    return target


def read_results(lake: Lake | None = None, resource_id: str | None = None) -> pa.Table:
    """Every stored row (all runs) of one resource or all."""
    lake = lake or Lake.default()
    folders = [lake.quality_results(resource_id)] if resource_id else sorted(
        (lake.root / "quality_results").glob("*"))  # fmt: skip
    tables = [
        pq.read_table(p).select(SCHEMA.names).cast(SCHEMA)
        for folder in folders
        for p in sorted(folder.glob("*.parquet"))
        if not p.name.startswith(".")
    ]
    # (not SCHEMA.empty_table(): it imports pandas, ~0.4 s of a build that reads the scores)
    return pa.concat_tables(tables) if tables else pa.Table.from_batches([], schema=SCHEMA)


def latest_runs(table: pa.Table) -> list[dict]:
    """One dict per batch (its latest run) with that run's expectation rows."""
    runs: dict[tuple[str, str], dict] = {}
    for row in table.to_pylist():
        key = (row["resource"], row["batch_id"])
        current = runs.get(key)
        if current is None or row["run_at"] > current["run_at"]:
            runs[key] = {**{k: row[k] for k in ("resource", "batch_id", "batch_date", "run_id",
                         "run_at", "duration_s", "rows_delivered", "rows_quarantined", "held")},
                         "expectations": []}  # fmt: skip
            current = runs[key]
        if row["run_id"] == current["run_id"]:
            current["expectations"].append(row)
    return sorted(runs.values(), key=lambda r: (r["resource"], r["batch_date"], r["run_at"]))


def quality_scores(lake: Lake | None = None, *, batches: int = SCORE_BATCHES) -> dict[str, float]:
    """Resource → score 0-100: the share of delivered rows that passed every expectation,
    over its latest ``batches`` validated batches (quality/README.md)."""
    by_resource: dict[str, list[dict]] = {}
    for run in latest_runs(read_results(lake)):
        by_resource.setdefault(run["resource"], []).append(run)
    scores = {}
    for resource, runs in by_resource.items():
        recent = sorted(runs, key=lambda r: (r["batch_date"], r["run_at"]))[-batches:]
        delivered = sum(r["rows_delivered"] for r in recent)
        bad = sum(r["rows_quarantined"] for r in recent)
        scores[resource] = round(100.0 * (1 - bad / delivered), 1) if delivered else 100.0
    return dict(sorted(scores.items()))


def register_view(con: duckdb.DuckDBPyConnection, lake: Lake | None = None) -> None:
    """Create the ``quality_results`` view (all runs) and ``quality_results_latest`` (the
    latest run of each batch) on a DuckDB connection."""
    lake = lake or Lake.default()
    files = [
        p for p in (lake.root / "quality_results").glob("*/*.parquet") if not p.name.startswith(".")
    ]
    if files:
        glob = (lake.root / "quality_results" / "*" / "[!.]*.parquet").as_posix()
        con.execute(
            f"create or replace view quality_results as select * from read_parquet('{glob}')"
        )
    else:
        con.register("_quality_results_empty", SCHEMA.empty_table())
        con.execute(
            "create or replace view quality_results as select * from _quality_results_empty"
        )
    con.execute(
        "create or replace view quality_results_latest as select * from quality_results "
        "qualify run_id = first_value(run_id) over "
        "(partition by resource, batch_id order by run_at desc)"
    )


def summarise(resource_id: str | None = None, *, lake: Lake | None = None) -> list[dict[str, Any]]:
    """Rows for a rich table: each resource's latest batch, its verdict, worst rule, score."""
    lake = lake or Lake.default()
    runs = latest_runs(read_results(lake, resource_id))
    scores = quality_scores(lake)
    latest: dict[str, dict] = {}
    for run in runs:
        latest[run["resource"]] = run  # runs are sorted by batch date, then run time
    out = []
    for resource, run in sorted(latest.items()):
        failing = sorted(
            (e for e in run["expectations"] if e["failed"]), key=lambda e: -e["failed"]
        )
        worst = f"{failing[0]['expectation']}: {failing[0]['failed']:,}" if failing else ""
        delivered, bad = run["rows_delivered"], run["rows_quarantined"]
        out.append({
            "resource": resource, "batch": run["batch_id"], "batch_date": str(run["batch_date"]),
            "status": "held" if run["held"] else "accepted", "delivered": f"{delivered:,}",
            "quarantined": f"{bad:,}",
            "failure %": f"{100 * bad / delivered:.2f}" if delivered else "0.00",
            "expectations": f"{sum(e['success'] for e in run['expectations'])}/"
                            f"{len(run['expectations'])}",
            "worst": worst, "score": f"{scores.get(resource, 100.0):.1f}",
        })  # fmt: skip
    return out
