"""The quality gate: one raw batch → accepted rows + quarantined rows with reasons.

:func:`validate_batch` orchestrates: it reads the raw part, builds the checked frame
(``quality.frame``), runs the resource's suite with GX (``quality.gx_runner``), writes the
reasons of each failing row and records the verdict (``quality.verdict``) in the results
table (``quality.results``) and the manifest. Outputs keep the raw columns untouched:

* ``accepted/<resource>/batch_date=<d>/part-<batch>.parquet``: the raw part itself (a hard
  link), with ``accepted/<resource>/_deletes/…/part-<batch>.parquet``, its deletion vector
  naming the quarantined rows: the accepted rows are the part minus the vector;
* ``quarantine/<resource>/batch_date=<d>/part-<batch>.parquet``: each failing row once, with
  ``_expectation`` and ``_reason`` (all failures of the row, joined by "; ");
* ``quality_results/<resource>/<batch>.parquet``: one row per expectation per run (appended).

A batch whose failure rate exceeds the resource's ``max_failure_rate`` is *held*: nothing in
accepted, manifest status ``held``; later batches are gated independently. Every write is
atomic and a rerun rewrites the same files, so the gate is idempotent.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from govlake.lake import Lake, atomic_path, link_or_copy
from govlake.quality.frame import (
    checked_frame,
    content_columns,
    encoded_columns,
    reuse_ingest_id_checks,
    thread_pool,
    threaded,
)
from govlake.quality.gx_runner import run_suite
from govlake.quality.results import write_results
from govlake.quality.suites import NOT_NULL, suite_expectations
from govlake.quality.verdict import GateError, GateResult
from govlake.register import Register, load_register

log = logging.getLogger(__name__)

SEPARATOR = "; "


# --- manifest (the ingest package's API; one place to switch if it changes) -------------------


def _manifest_entry(lake: Lake, resource_id: str, batch_id: str) -> dict | None:
    from govlake.ingest import read_manifest

    found = [e for e in read_manifest(resource_id, lake=lake) if e.get("batch_id") == batch_id]
    with_rows = [e for e in found if e.get("raw_path")]
    return (with_rows or found or [None])[0]


def _set_status(lake: Lake, entry: dict | None, status: str, **extra: Any) -> None:
    if entry is None:
        return
    from govlake.ingest import update_status

    update_status(entry, status, lake=lake, **extra)


def _raw_path(lake: Lake, resource_id: str, batch_id: str, entry: dict | None) -> Path:
    if entry and entry.get("raw_path"):
        path = lake.root / entry["raw_path"]
        if path.exists():
            return path
    matches = sorted(lake.raw(resource_id).glob(f"batch_date=*/part-{batch_id}.parquet"))
    if not matches:
        raise GateError(f"{resource_id}: no raw batch {batch_id} under {lake.raw(resource_id)}")
    return matches[0]


# --- reasons for built-in expectations --------------------------------------------------------


def _explain(expectation: Any, frame: Any, index: list, labels: dict[str, str]) -> list[str]:
    """The ``_reason`` text for each failing row of one expectation."""
    from govlake.quality.checks import in_set_reason

    if hasattr(expectation, "explain"):
        return expectation.explain(frame, index, labels)
    kind = expectation.expectation_type
    column = getattr(expectation, "column", None)
    label = labels.get(column, column)
    if kind == NOT_NULL:
        return [f"{label} is blank (mandatory)"] * len(index)
    values = frame.loc[index, column].tolist() if column else [None] * len(index)
    if kind == "expect_column_values_to_be_in_set":
        source = (expectation.meta or {}).get("govlake", {}).get("values_from") or "the list"
        source = source.replace("vocab:", "vocabulary ")
        return [in_set_reason(v, label, source) for v in values]
    if kind == "expect_column_values_to_match_regex":
        rule = (expectation.meta or {}).get("govlake", {}).get("rule", "format")
        return [f"{label} {v!r} is not a valid {rule}" for v in values]
    return [f"{label} {v!r} fails {kind}" for v in values]


# --- reading and writing parts ----------------------------------------------------------------


def _done(value: Any) -> Future:
    done: Future = Future()
    done.set_result(value)
    return done


def _read(path: Path, columns: list[str] | None = None, dictionary: list[str] | None = None
          ) -> pa.Table:  # fmt: skip
    table = pq.read_table(path, columns=columns, read_dictionary=dictionary or None)
    return table.replace_schema_metadata(None)


def _write(table: pa.Table, target: Path) -> None:
    with atomic_path(target) as tmp:
        pq.write_table(table, tmp, compression="snappy")


# --- the gate ---------------------------------------------------------------------------------


def validate_batch(
    resource_id: str,
    batch_id: str,
    *,
    lake: Lake | None = None,
    register: Register | None = None,
    quality_dir: Path | None = None,
) -> GateResult:
    """Gate one raw batch: accepted + quarantine (+ reasons), results, manifest status.

    Accepting writes no copy of the good rows: the accepted part is the raw part itself (a
    hard link) plus a deletion vector naming the quarantined rows (``lake.py``), which dbt
    staging anti-joins (rewriting the accepted rows cost about as much as validating them).
    The manifest says ``accepted`` only once both files are in place.
    """
    from govlake.quality.checks import already_normalised
    from govlake.quality.findings import add_ingest_findings  # issue #10
    from govlake.quality.retraction import refuse_superseded, supersede_older  # issue #10

    started = time.perf_counter()
    lake, register = lake or Lake.default(), register or load_register()
    res = register.resource(resource_id)
    entry = _manifest_entry(lake, res.id, batch_id)
    # re-delivery (issue #10, govlake.quality.retraction): a superseded batch stays retracted
    refuse_superseded(res.id, batch_id, entry)
    path = _raw_path(lake, res.id, batch_id, entry)
    batch_date = (entry or {}).get("batch_date") or path.parent.name.removeprefix("batch_date=")
    # the columns the rules read first; the rest (pseudonyms, audit columns: only the
    # quarantined rows need them) is read meanwhile, unless the batch is small
    meta = pq.read_metadata(path)
    schema = meta.schema.to_arrow_schema().remove_metadata()
    stored = schema.names
    wanted = [f.name for f in res.fields if f.name in stored] + ["_source_row"] * (
        "_source_row" in stored)  # fmt: skip
    rest = [c for c in stored if c not in wanted]
    expectations = suite_expectations(
        res.id, register, dt.date.fromisoformat(batch_date), directory=quality_dir
    )
    read = content_columns(expectations)
    encoded = [c for c in encoded_columns(res, read) if c in stored]
    if not threaded(meta.num_rows) or not rest:
        whole = _read(path, dictionary=encoded)
        checked, reading = whole.select(wanted), _done(whole.select(rest))
    else:
        reading = thread_pool().submit(_read, path, rest)
        checked = _read(path, wanted, dictionary=encoded)
    n = checked.num_rows
    frame = checked_frame(checked, res, read=read)
    reuse_ingest_id_checks(meta.metadata, frame, res, dt.date.fromisoformat(batch_date))
    validation = run_suite(frame, expectations, res.id, normalised=True)
    # ingest's row findings (issue #10, govlake.quality.findings): cut last row, JSON key twice
    add_ingest_findings(validation, meta.metadata, frame)

    positions = np.array(sorted({i for index in validation.failing.values() for i in index}),
                         dtype=np.int64)  # fmt: skip
    quarantined = len(positions)
    rate = quarantined / n if n else 0.0
    held = rate > res.max_failure_rate
    failures = {r["expectation"]: r["failed"] for r in validation.rows if r["failed"]}

    partition = f"batch_date={batch_date}"
    accepted_path = lake.accepted(res.id) / partition / f"part-{batch_id}.parquet"
    deletes_path = lake.accepted_deletes(res.id) / partition / f"part-{batch_id}.parquet"
    quarantine_path = lake.quarantine(res.id) / partition / f"part-{batch_id}.parquet"
    labels = {f.name: f.label for f in res.fields}
    per_row: dict[int, tuple[list[str], list[str]]] = {}
    with already_normalised():  # the reasons quote the checked frame's values
        for name, index in validation.failing.items():
            if not index:
                continue
            texts = _explain(validation.expectations[name], frame, index, labels)
            for i, text in zip(index, texts, strict=True):
                names, reasons = per_row.setdefault(i, ([], []))
                names.append(name)
                reasons.append(text)
    others = reading.result()
    q = pa.table({c: (checked if c in wanted else others).column(c) for c in stored})
    q = q.take(pa.array(positions))
    q = q.cast(schema)  # columns read as dictionaries are strings again
    if quarantined:
        q = q.append_column("_expectation", pa.array(
            [SEPARATOR.join(per_row[i][0]) for i in positions], pa.string()))  # fmt: skip
        q = q.append_column("_reason", pa.array(
            [SEPARATOR.join(per_row[i][1]) for i in positions], pa.string()))  # fmt: skip
        _write(q, quarantine_path)
    else:
        quarantine_path.unlink(missing_ok=True)
    if held:  # the part first: a deletion vector without its part deletes nothing
        accepted_path.unlink(missing_ok=True)
        deletes_path.unlink(missing_ok=True)
    else:  # the vector first: a part visible without it would show the quarantined rows
        _write(q.select(["_batch_id", "_source_row"]), deletes_path)
        link_or_copy(path, accepted_path)

    worst = ", ".join(f"{k}: {v}" for k, v in sorted(failures.items(), key=lambda kv: -kv[1]))
    summary = (
        f"{res.id} batch {batch_id} ({batch_date}): {quarantined:,} of {n:,} rows failed "
        f"({rate:.2%}, threshold {res.max_failure_rate:.2%})"
    )
    if held:
        message = f"HELD {summary}; nothing accepted; failing expectations: {worst}"
    else:
        message = f"accepted {summary}" + (f"; quarantined by: {worst}" if worst else "")
    run_id = uuid.uuid4().hex[:12]
    result = GateResult(
        resource=res.id, batch_id=batch_id, batch_date=batch_date, delivered=n,
        accepted=0 if held else n - quarantined, quarantined=quarantined, failure_rate=rate,
        max_failure_rate=res.max_failure_rate, held=held, message=message, failures=failures,
        run_id=run_id, duration_s=time.perf_counter() - started,
        accepted_path=None if held else str(accepted_path),
        quarantine_path=str(quarantine_path) if quarantined else None,
    )  # fmt: skip
    write_results(lake, result, validation)
    _set_status(
        lake, entry, result.status, accepted_rows=result.accepted,
        quarantined_rows=quarantined, failure_rate=round(rate, 6), quality_message=message,
        quality_run_id=run_id,
    )  # fmt: skip
    if entry is not None and not held:  # issue #10: an accepted new version of a landing path
        supersede_older(lake, res.id, {**entry, "status": "accepted"})  # replaces the earlier
    (log.warning if held else log.info)("%s", message)
    return result
