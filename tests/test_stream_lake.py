"""Streaming ingest and gate (issue #16): the same lake, row for row, whatever the batch sizes.

The tiny sample (every resource, every delivery format and encoding, 5% defects: duplicate
keys, invalid IDs, cut lines…) is ingested and gated twice from the same landing files: with
tiny batches and blocks (ingest 7 rows / 1 KiB blocks, gate 149 rows: many boundaries cross
duplicates and findings) and with one batch per file (what the code did before streaming).
Raw, accepted, quarantine (reasons included), the manifests' verdicts and the quality results
must be equal.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from govlake.lake import Lake, read_accepted

pytestmark = pytest.mark.integration

DAY = dt.date(2026, 11, 2)
GATE = 149  # rows per gate batch in the tiny run
MANIFEST_FIELDS = ("path", "version", "status", "reason", "sha256", "batch_id", "rows", "encoding",
                   "invalid_identifiers", "invalid_identifiers_by_field", "row_findings",
                   "sheets", "accepted_rows", "quarantined_rows", "failure_rate")  # fmt: skip


def _table(paths: list[Path]) -> list[dict]:
    """Rows of the parts, in a stable order, without the ingest time."""
    if not paths:
        return []
    t = pa.concat_tables([pq.read_table(p).replace_schema_metadata(None) for p in paths])
    t = t.drop([c for c in t.column_names if c == "_ingested_at"])
    return t.sort_by([("_batch_id", "ascending"), ("_source_row", "ascending")]).to_pylist()


def _lake_state(root: Path, register) -> dict:
    from govlake.ingest import read_manifest
    from govlake.quality.results import read_results

    lake = Lake(root)
    out: dict = {}
    for rid in sorted(register.resources):
        accepted = read_accepted(lake, rid)
        manifest = sorted(
            ({k: e.get(k) for k in MANIFEST_FIELDS} for e in read_manifest(rid, lake=lake)),
            key=lambda e: (e["path"], e["version"]),
        )
        message = [e.get("quality_message") for e in read_manifest(rid, lake=lake)]
        out[rid] = {
            "raw": _table(sorted(lake.raw(rid).glob("batch_date=*/*.parquet"))),
            "quarantine": _table(sorted(lake.quarantine(rid).glob("batch_date=*/*.parquet"))),
            "accepted": [] if accepted is None else _table_of(accepted),
            "manifest": manifest,
            "messages": sorted(m or "" for m in message),
        }
    results = read_results(lake).to_pylist()
    out["_results"] = sorted(
        (r["resource"], r["batch_id"], r["expectation"], r["evaluated"], r["failed"], r["success"])
        for r in results
    )
    return out


def _table_of(t: pa.Table) -> list[dict]:
    t = t.drop([c for c in t.column_names if c == "_ingested_at"])
    return t.sort_by([("_batch_id", "ascending"), ("_source_row", "ascending")]).to_pylist()


def _ingest_and_gate(root: Path, register, monkeypatch, **env: int) -> None:
    from govlake.ingest import ingest_resource
    from govlake.pipeline import gate_step
    from govlake.settings import get_settings

    monkeypatch.setenv("GOVLAKE_LAKE_ROOT", str(root))
    for name, value in env.items():
        monkeypatch.setenv(f"GOVLAKE_{name.upper()}", str(value))
    get_settings.cache_clear()
    for rid in sorted(register.resources):
        ingest_resource(rid, register=register)
        gate_step(rid)
    get_settings.cache_clear()


def test_tiny_batches_make_the_same_lake_as_whole_files(tmp_path, register, monkeypatch) -> None:
    from govlake.sample import generate

    monkeypatch.setenv("GOVLAKE_HMAC_KEY", "test-key-not-secret")
    tiny, whole = tmp_path / "tiny", tmp_path / "whole"
    generate(tiny, scale="tiny", seed=16, defect_rate=0.05, batch_date=DAY, register=register)
    shutil.copytree(tiny / "landing", whole / "landing", copy_function=shutil.copy2)
    _ingest_and_gate(whole, register, monkeypatch, ingest_batch_rows=1 << 30,
                     ingest_block_bytes=1 << 30, gate_batch_rows=1 << 30)  # fmt: skip
    _ingest_and_gate(tiny, register, monkeypatch, ingest_batch_rows=7, ingest_block_bytes=1024,
                     gate_batch_rows=GATE)  # fmt: skip
    a, b = _lake_state(tiny, register), _lake_state(whole, register)
    for rid in a:
        assert a[rid] == b[rid], rid
    # the tiny run did cross batches where it matters: copies of a key whose first copy is in
    # an earlier gate batch (raw parts keep the file's row order: position = gate batch)
    crossing = 0
    for rid, state in a.items():
        if rid == "_results":
            continue
        position: dict = {}
        for r in state["raw"]:
            part = position.setdefault(r["_batch_id"], {})
            part[r["_source_row"]] = len(part)
        for r in state["quarantine"]:
            if "same key as row " in r["_reason"]:
                first = int(r["_reason"].split("same key as row ")[1].split(";")[0])
                where = position[r["_batch_id"]]
                crossing += where[r["_source_row"]] // GATE != where[first] // GATE
    assert crossing >= 3, crossing
    assert sum(len(a[rid]["quarantine"]) for rid in a if rid != "_results") > 50
