"""Retraction: when a landing path is delivered again with other bytes and the new version's
rows are in the lake (the gate accepted them, or they are another file's), the earlier
versions' rows leave accepted, so the new version's rows replace them. A new version that is
rejected or held replaces nothing: the earlier one stays as it is.

The accepted part stays where it is (a hard link to its raw part, nothing lost); its deletion
vector (``lake.py``) is rewritten to name *every* row, so staging and ``read_accepted`` see
none of them. The build notices the changed vector and rebuilds what an incremental model
cannot drop (``transform.build``). The manifest entry becomes ``superseded`` with
``superseded_by``, ``previous_status`` and ``retracted_rows``, and the gate refuses to gate that
batch again (:func:`refuse_superseded`), so a re-validation cannot bring its rows back.
"""

from __future__ import annotations

from typing import Any

import pyarrow.parquet as pq

from govlake.lake import Lake, atomic_path


def retract_batch(lake: Lake, resource_id: str, batch_id: str, batch_date: str) -> int:
    """Delete every row of an accepted batch (its deletion vector names them all); returns
    how many rows were visible before. Idempotent; 0 when the batch is not in accepted."""
    partition = f"batch_date={batch_date}"
    part = lake.accepted(resource_id) / partition / f"part-{batch_id}.parquet"
    if not part.exists():
        return 0
    deletes = lake.accepted_deletes(resource_id) / partition / f"part-{batch_id}.parquet"
    keys = pq.read_table(part, columns=["_batch_id", "_source_row"]).replace_schema_metadata(None)
    before = pq.read_metadata(deletes).num_rows if deletes.exists() else 0
    if before == keys.num_rows:
        return 0
    with atomic_path(deletes) as tmp:
        pq.write_table(keys, tmp, compression="snappy")
    return keys.num_rows - before


def supersede(lake: Lake, resource_id: str, previous: dict[str, Any], new: dict[str, Any]) -> str:
    """Mark ``previous`` superseded by ``new`` (a later version of the same path) and retract
    its rows from accepted; returns the reason recorded. Its rows stay only when another
    landing file still delivers the same content (recorded there as its duplicate)."""
    from govlake.ingest import manifest

    if previous.get("status") == "superseded":
        return str(previous.get("reason"))
    retracted, note = 0, ""
    if previous.get("raw_path") and previous.get("batch_id"):
        still = [
            e for e in manifest.current_entries(resource_id, lake=lake).values()
            if e["path"] != previous["path"] and e.get("sha256") == previous.get("sha256")
            and e["status"] == "duplicate"
        ]  # fmt: skip
        if still:
            note = f"; its rows stay: the same content is still delivered as {still[0]['path']}"
        else:
            retracted = retract_batch(
                lake, resource_id, previous["batch_id"], previous["batch_date"]
            )
    sha = new.get("sha256")
    what = f"version {new['version']}" + (f" (sha256 {sha[:12]}…)" if sha else "")
    reason = f"superseded by {what}, received {new.get('received')}"
    if retracted:
        reason += f"; its {retracted:,} accepted rows retracted"
    reason += note
    manifest.update_status(
        previous, "superseded", lake=lake, reason=reason, previous_status=previous["status"],
        retracted_rows=retracted, superseded_by={
            "version": new["version"], "entry_id": new.get("entry_id"), "sha256": sha,
            "batch_id": new.get("batch_id"), "status": new["status"],
        },
    )  # fmt: skip
    return reason


REPLACING = frozenset({"accepted", "duplicate"})  # a version whose rows are in the lake


def supersede_older(lake: Lake, resource_id: str, entry: dict[str, Any]) -> list[str]:
    """``entry`` (a version whose rows are now in the lake) supersedes every earlier version of
    its path not superseded yet; returns the reasons recorded."""
    from govlake.ingest import manifest

    version = entry.get("version", 1)
    older = [
        e for e in manifest.read_manifest(resource_id, lake=lake)
        if e["path"] == entry["path"] and e.get("version", 1) < version
        and e["status"] != "superseded"
    ]  # fmt: skip
    return [supersede(lake, resource_id, e, entry) for e in older]


def supersede_stale(lake: Lake, resource_id: str) -> list[str]:
    """Supersede what a killed run left unmarked: every version older than its path's latest
    accepted (or duplicate) version; returns the paths repaired."""
    from govlake.ingest import manifest

    by_path: dict[str, list[dict]] = {}
    for e in manifest.read_manifest(resource_id, lake=lake):
        by_path.setdefault(e["path"], []).append(e)
    repaired = []
    for path, entries in by_path.items():
        replacing = [e for e in entries if e["status"] in REPLACING]
        if not replacing:
            continue
        latest = max(replacing, key=lambda e: e.get("version", 1))
        if supersede_older(lake, resource_id, latest):
            repaired.append(path)
    return repaired


def superseded_by_newer(entries: list[dict[str, Any]], entry: dict[str, Any]) -> bool:
    """Whether a newer version of ``entry``'s path will replace it (has rows, or will): the gate
    leaves such an ``ingested`` version alone, the newer one supersedes it once accepted."""
    return any(
        e["path"] == entry["path"] and e.get("version", 1) > entry.get("version", 1)
        and e["status"] in {"ingested", "accepted", "held", "duplicate"}
        for e in entries
    )  # fmt: skip


def refuse_superseded(resource_id: str, batch_id: str, entry: dict[str, Any] | None) -> None:
    """The gate's guard: a superseded version's batch stays retracted."""
    if entry is not None and entry.get("status") == "superseded":
        from govlake.quality.gate import GateError

        raise GateError(
            f"{resource_id}: batch {batch_id} ({entry['path']}, version "
            f"{entry.get('version', 1)}) is superseded: {entry.get('reason')}; not gated again"
        )
