"""``govlake quality [RESOURCE]``: re-run the gate on the latest batch(es) and rebuild the docs."""

from __future__ import annotations

from pathlib import Path

from govlake.lake import Lake
from govlake.quality.gate import validate_batch
from govlake.quality.verdict import GateResult
from govlake.register import Register, load_register

GATED = ("ingested", "accepted", "held")  # manifest statuses whose batch has raw rows


def latest_batches(resource_id: str, lake: Lake, *, latest: int = 1) -> list[str]:
    """Batch ids of a resource's newest ``latest`` batches (by batch date, then ingest time)."""
    from govlake.ingest import read_manifest

    entries = [
        e for e in read_manifest(resource_id, lake=lake)
        if e.get("status") in GATED and e.get("batch_id") and e.get("raw_path")
    ]  # fmt: skip
    entries.sort(key=lambda e: (e.get("batch_date") or "", e.get("ingested_at") or ""))
    seen: list[str] = []
    for e in reversed(entries):
        if e["batch_id"] not in seen:
            seen.append(e["batch_id"])
    return list(reversed(seen[:latest]))


def revalidate(
    resource_id: str | None = None,
    *,
    lake: Lake | None = None,
    register: Register | None = None,
    latest: int = 1,
    docs: bool = True,
    quality_dir: Path | None = None,
) -> list[GateResult]:
    """Re-validate the latest batch(es) of one resource (or all) and rebuild Data Docs.

    Re-gating is idempotent: a batch's accepted/quarantine parts are rewritten with the same
    rows; the results table gains one run.
    """
    lake, register = lake or Lake.default(), register or load_register()
    ids = [register.resource(resource_id).id] if resource_id else sorted(register.resources)
    results = []
    for rid in ids:
        for batch_id in latest_batches(rid, lake, latest=latest):
            results.append(validate_batch(rid, batch_id, lake=lake, register=register,
                                          quality_dir=quality_dir))  # fmt: skip
    if docs and results:
        from govlake.quality.docs import build_data_docs

        build_data_docs(lake, register, resource_id=resource_id, quality_dir=quality_dir)
    return results
