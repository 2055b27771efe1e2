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
import json
import logging
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from govlake.lake import Lake, link_or_copy
from govlake.quality.frame import (
    checked_frame,
    content_columns,
    encoded_columns,
)
from govlake.quality.gx_runner import run_suite
from govlake.quality.results import write_results
from govlake.quality.suites import NOT_NULL, suite_expectations
from govlake.quality.verdict import GateError, GateResult, Validation
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


class _PartWriter:
    """A Parquet file written batch by batch into a hidden name (``lake.atomic_path``'s),
    renamed into place by :meth:`commit`; nothing is visible before, or after :meth:`discard`."""

    def __init__(self, target: Path, schema: pa.Schema):
        self.target, self.schema = target, schema
        self.tmp = target.with_name(f".tmp-{os.getpid()}-{target.name}.partial")
        self.writer: pq.ParquetWriter | None = None

    def write(self, table: pa.Table) -> None:
        if self.writer is None:
            self.target.parent.mkdir(parents=True, exist_ok=True)
            self.writer = pq.ParquetWriter(self.tmp, self.schema, compression="snappy")
        self.writer.write_table(table)

    def commit(self) -> None:
        if self.writer is None:  # no rows: an empty file all the same
            self.write(self.schema.empty_table())
        assert self.writer is not None
        self.writer.close()
        os.replace(self.tmp, self.target)
        self.writer = None

    def discard(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None
        self.tmp.unlink(missing_ok=True)


def _record_batches(
    pf: pq.ParquetFile, rows: int, columns: list[str] | None = None
) -> Iterator[pa.RecordBatch]:
    """The part's record batches (at most ``rows`` rows, never spanning two row groups), read
    one row group at a time.

    One ``iter_batches`` over the whole file (pyarrow 26) keeps the column chunks it has read
    allocated until it ends, on raw parts and whenever it reads some of a file's columns: the
    gate's memory grew with the part, by about its compressed size (bench/RESULTS.md,
    city). A reader per row group frees its chunks when it is done
    (``tests/test_gate_memory.py``).
    """
    for group in range(pf.num_row_groups):
        yield from pf.iter_batches(batch_size=rows, row_groups=[group], columns=columns)


def _batches(path: Path, rows: int, encoded: list[str]) -> Iterator[tuple[int, pa.Table]]:
    """(first row position, table) of ``rows`` rows at a time; ``encoded`` columns read as
    dictionaries, as Parquet stores them (``frame.encoded_columns``)."""
    pf = pq.ParquetFile(path, read_dictionary=encoded or None)
    start, pending, count = 0, [], 0
    for rb in _record_batches(pf, rows):
        pending.append(rb)
        count += rb.num_rows
        if count < rows:
            continue
        table = pa.Table.from_batches(pending).replace_schema_metadata(None)
        while count >= rows:
            yield start, table.slice(0, rows)
            start, count, table = start + rows, count - rows, table.slice(rows)
        pending = table.to_batches() if count else []
    if count or start == 0:  # the rest; an empty part is validated once, as a whole
        table = pa.Table.from_batches(pending) if pending else pf.schema_arrow.empty_table()
        yield start, table.replace_schema_metadata(None)


def _recorded_ids(footer: Any, res: Any, as_of: dt.date, rows: int) -> dict[str, np.ndarray]:
    """Ingest's record of the invalid citizen IDs of the whole part (one bit a row), when made
    by these rules for this day (as ``frame.reuse_ingest_id_checks`` does for one frame)."""
    from govlake.ingest import recorded_invalid_rows
    from govlake.register import FieldFormat

    recorded = recorded_invalid_rows(footer, as_of=as_of, rows=rows)
    ids = {f.name for f in res.fields if f.format == FieldFormat.citizen_id}
    return {name: mask for name, mask in recorded.items() if name in ids}


@dataclass
class _Duplicates:
    """Every later copy of a key in a part (row position, ``_source_row`` of its first copy)."""

    columns: frozenset[str]
    positions: np.ndarray  # sorted
    first_rows: np.ndarray

    def slice(self, start: int, length: int) -> Any:
        from govlake.quality.checks import KnownDuplicates

        lo, hi = np.searchsorted(self.positions, [start, start + length])
        later = np.zeros(length, dtype=bool)
        first = np.full(length, -1, dtype=np.int64)
        later[self.positions[lo:hi] - start] = True
        first[self.positions[lo:hi] - start] = self.first_rows[lo:hi]
        return KnownDuplicates(self.columns, later, first)


def _duplicates(lake: Lake, path: Path, res: Any, rows: int) -> _Duplicates:
    """Copies of the resource key across the whole part, found by DuckDB in a spill-to-disk
    database under a memory limit (``GOVLAKE_GATE_KEY_MEMORY``): the key columns, normalised
    as the checked frame compares them (``frame.normaliser``), read ``rows`` at a time. Rows
    with a blank key part are not copies (the not-null rule judges them)."""
    import tempfile

    from govlake.duck import connect
    from govlake.quality.checks import arrow
    from govlake.quality.frame import normaliser
    from govlake.settings import get_settings

    settings = get_settings()
    keys = res.key_fields
    names = [f"k{i}" for i in range(len(keys))]
    folder = lake.root / "_tmp"
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, prefix="gate-keys-") as tmp:
        con = connect(Path(tmp) / "keys.duckdb", threads=settings.duckdb_threads)
        try:
            con.execute(f"set memory_limit = '{settings.gate_key_memory}'")
            con.execute(f"set temp_directory = '{Path(tmp) / 'spill'}'")
            con.execute("set preserve_insertion_order = false")
            columns = ", ".join(f"{k} varchar" for k in names)
            con.execute(f"create table keys (pos bigint, src bigint, {columns})")
            pf = pq.ParquetFile(path)
            start = 0
            for rb in _record_batches(pf, rows, [f.name for f in keys] + ["_source_row"]):
                n = rb.num_rows
                batch = {"pos": pa.array(np.arange(start, start + n, dtype=np.int64)),
                         "src": rb.column("_source_row")}  # fmt: skip
                for k, f in zip(names, keys, strict=True):
                    batch[k] = normaliser(f)(arrow(rb.column(f.name)))
                con.register("_batch", pa.table(batch))
                con.execute("insert into keys select * from _batch")
                con.unregister("_batch")
                start += n
            present = " and ".join(f"{k} is not null" for k in names)
            on = ", ".join(names)
            found = con.execute(f"""
                with firsts as (
                    select {on}, min(pos) as first, arg_min(src, pos) as first_src
                    from keys where {present} group by {on} having count(*) > 1
                )
                select k.pos, f.first_src from keys k join firsts f using ({on})
                where k.pos > f.first order by k.pos
            """).fetchnumpy()  # fmt: skip
        finally:
            con.close()
    return _Duplicates(frozenset(f.name for f in keys),
                       np.asarray(found["pos"], dtype=np.int64),
                       np.asarray(found["first_src"], dtype=np.int64))  # fmt: skip


def _merged(validations: list[Validation], rows: int) -> Validation:
    """One :class:`Validation` of the whole part from those of its batches: failures and
    rows evaluated summed per expectation, in the order of the first batch (ingest's
    findings, named in some batches only, after the suite's expectations)."""
    from govlake.quality.findings import CHECKS

    if len(validations) == 1:
        return validations[0]
    merged: dict[str, dict] = {}
    for v in validations:
        for r in v.rows:
            m = merged.setdefault(r["expectation"], {**r, "evaluated": 0, "failed": 0,
                                                     "success": True})  # fmt: skip
            m["evaluated"] += r["evaluated"]
            m["failed"] += r["failed"]
            m["success"] = m["success"] and r["success"]
    for m in merged.values():
        if m["expectation"] in CHECKS.values() or m["expectation"].startswith("expect_ingest_"):
            m["evaluated"] = rows  # a finding's check looks at every row of the part
    expectations = {k: e for v in validations for k, e in v.expectations.items()}
    return Validation(list(merged.values()), {}, expectations,
                      _merged_gx(validations), sum(v.duration_s for v in validations))  # fmt: skip


def _merged_gx(validations: list[Validation]) -> dict:
    """The stored GX result (Data Docs) of a part gated in batches: the first batch's, with
    each expectation's counts summed over the batches and its first failing values kept."""
    from govlake.quality.gx_runner import PARTIAL

    first = json.loads(json.dumps(validations[0].gx_result, default=str))
    for other in validations[1:]:
        for mine, theirs in zip(first["results"], other.gx_result["results"], strict=True):
            a, b = mine.get("result") or {}, theirs.get("result") or {}
            for key in ("element_count", "unexpected_count", "missing_count"):
                if isinstance(a.get(key), int) and isinstance(b.get(key), int):
                    a[key] += b[key]
            for key in ("partial_unexpected_list", "unexpected_list"):
                if isinstance(a.get(key), list) and isinstance(b.get(key), list):
                    a[key] = (a[key] + b[key])[:PARTIAL]
            mine["success"] = bool(mine["success"] and theirs["success"])
    for r in first["results"]:
        res = r.get("result") or {}
        total, bad = res.get("element_count"), res.get("unexpected_count")
        if isinstance(total, int) and isinstance(bad, int) and total:
            res["unexpected_percent"] = 100 * bad / total
    first["success"] = all(r["success"] for r in first["results"])
    stats = first.get("statistics") or {}
    if "successful_expectations" in stats:
        ok = sum(bool(r["success"]) for r in first["results"])
        stats.update(successful_expectations=ok,
                     unsuccessful_expectations=len(first["results"]) - ok)  # fmt: skip
    return first


# --- the gate ---------------------------------------------------------------------------------


def validate_batch(
    resource_id: str,
    batch_id: str,
    *,
    lake: Lake | None = None,
    register: Register | None = None,
    quality_dir: Path | None = None,
    batch_rows: int | None = None,
) -> GateResult:
    """Gate one raw batch: accepted + quarantine (+ reasons), results, manifest status.

    Accepting writes no copy of the good rows: the accepted part is the raw part itself (a
    hard link) plus a deletion vector naming the quarantined rows (``lake.py``), which dbt
    staging anti-joins (rewriting the accepted rows cost about as much as validating them).
    The manifest says ``accepted`` only once both files are in place.

    The part is validated ``batch_rows`` rows at a time (``GOVLAKE_GATE_BATCH_ROWS``), so
    memory is bounded by that, not by the part. What needs the whole part is kept across
    batches: copies of a key (:func:`_duplicates`, found before the first batch), row
    counts and the failure rate (summed), ingest's record of invalid IDs (sliced). The
    quarantine and the deletion vector are written as the batches go, into hidden files
    renamed into place at the end.
    """
    from govlake.quality.checks import already_normalised, known_duplicates, remember_invalid_ids
    from govlake.quality.findings import add_ingest_findings  # issue #10
    from govlake.quality.retraction import refuse_superseded, supersede_older  # issue #10

    started = time.perf_counter()
    lake, register = lake or Lake.default(), register or load_register()
    if batch_rows is None:
        from govlake.settings import get_settings

        batch_rows = get_settings().gate_batch_rows
    res = register.resource(resource_id)
    entry = _manifest_entry(lake, res.id, batch_id)
    # re-delivery (issue #10, govlake.quality.retraction): a superseded batch stays retracted
    refuse_superseded(res.id, batch_id, entry)
    path = _raw_path(lake, res.id, batch_id, entry)
    batch_date = (entry or {}).get("batch_date") or path.parent.name.removeprefix("batch_date=")
    as_of = dt.date.fromisoformat(batch_date)
    meta = pq.read_metadata(path)
    schema = meta.schema.to_arrow_schema().remove_metadata()
    stored = schema.names
    wanted = [f.name for f in res.fields if f.name in stored] + ["_source_row"] * (
        "_source_row" in stored)  # fmt: skip
    expectations = suite_expectations(res.id, register, as_of, directory=quality_dir)
    read = content_columns(expectations)
    encoded = [c for c in encoded_columns(res, read) if c in stored]
    n = meta.num_rows
    recorded = _recorded_ids(meta.metadata, res, as_of, n)
    duplicates = _duplicates(lake, path, res, batch_rows) if n > batch_rows else None

    partition = f"batch_date={batch_date}"
    accepted_path = lake.accepted(res.id) / partition / f"part-{batch_id}.parquet"
    deletes_path = lake.accepted_deletes(res.id) / partition / f"part-{batch_id}.parquet"
    quarantine_path = lake.quarantine(res.id) / partition / f"part-{batch_id}.parquet"
    labels = {f.name: f.label for f in res.fields}
    q_schema = schema.append(pa.field("_expectation", pa.string())).append(
        pa.field("_reason", pa.string()))  # fmt: skip
    d_schema = pa.schema([schema.field("_batch_id"), schema.field("_source_row")])
    validations: list[Validation] = []
    quarantined = 0
    q_writer, d_writer = _PartWriter(quarantine_path, q_schema), _PartWriter(deletes_path, d_schema)
    try:
        for start, whole in _batches(path, batch_rows, encoded):
            checked = whole.select(wanted)
            frame = checked_frame(checked, res, read=read)
            for name, mask in recorded.items():
                remember_invalid_ids(frame[name], as_of, mask[start : start + len(frame)])
            known = None if duplicates is None else duplicates.slice(start, len(frame))
            with known_duplicates(known):
                validation = run_suite(frame, expectations, res.id, normalised=True)
                # ingest's row findings (issue #10, govlake.quality.findings)
                add_ingest_findings(validation, meta.metadata, frame)
                positions = np.array(
                    sorted({i for index in validation.failing.values() for i in index}),
                    dtype=np.int64)  # fmt: skip
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
            validations.append(validation)
            if not len(positions):
                continue
            quarantined += len(positions)
            q = whole.select(stored).take(pa.array(positions)).cast(schema)
            q = q.append_column("_expectation", pa.array(
                [SEPARATOR.join(per_row[i][0]) for i in positions], pa.string()))  # fmt: skip
            q = q.append_column("_reason", pa.array(
                [SEPARATOR.join(per_row[i][1]) for i in positions], pa.string()))  # fmt: skip
            q_writer.write(q)
            d_writer.write(q.select(["_batch_id", "_source_row"]))
    except BaseException:
        q_writer.discard()
        d_writer.discard()
        raise
    rate = quarantined / n if n else 0.0
    held = rate > res.max_failure_rate
    validation = _merged(validations, n)
    if quarantined:
        q_writer.commit()
    else:
        q_writer.discard()
        quarantine_path.unlink(missing_ok=True)
    if held:  # the part first: a deletion vector without its part deletes nothing
        d_writer.discard()
        accepted_path.unlink(missing_ok=True)
        deletes_path.unlink(missing_ok=True)
    else:  # the vector first: a part visible without it would show the quarantined rows
        d_writer.commit()
        link_or_copy(path, accepted_path)
    failures = {r["expectation"]: r["failed"] for r in validation.rows if r["failed"]}

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
