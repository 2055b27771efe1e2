"""Delivered columns → the raw contract: register fields as text, pseudonyms, audit columns.

Raw column order: every register field by ``name`` (string, delivered text; all-null when a
nullable field is absent), then ``<name>_key`` for each pseudonymised field, then ``_batch_id``,
``_source_file``, ``_source_sheet`` (a workbook's sheet, else null), ``_source_row`` (int64,
1-based data row; numbered on through a workbook's sheets) and ``_ingested_at`` (UTC).

Rows a reader kept but found wrong (a last line that may be cut, a JSON key given twice) are
listed in the part's footer (:data:`FINDINGS_KEY`), for the quality gate to quarantine.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from govlake.ingest.idcheck import invalid_mask, invalid_rows_record
from govlake.ingest.pseudonym import hmac_hex, normalise_array
from govlake.ingest.readers import Extract, Finding, Rejected
from govlake.ingest.stream import Stream
from govlake.lake import atomic_path
from govlake.register import FieldFormat, Resource

AUDIT_COLUMNS = ("_batch_id", "_source_file", "_source_sheet", "_source_row", "_ingested_at")
FINDINGS_KEY = b"govlake.ingest_findings"
CHECKED_FORMATS = {FieldFormat.citizen_id: "citizen_id", FieldFormat.credit_code: "credit_code"}


def clean_header(header: str) -> str:
    """Header as matched: without BOM and surrounding whitespace (Excel exports add both)."""
    return header.replace("\ufeff", "").strip()


def map_columns(headers: list[str], resource: Resource) -> dict[str, int]:
    """Register field name → delivered column index; headers may be the label or the name."""
    by_header: dict[str, str] = {}
    for f in resource.fields:
        by_header[f.name] = f.name
        by_header[f.label] = f.name
    found: dict[str, int] = {}
    unexpected: list[str] = []
    twice: list[str] = []
    for i, raw in enumerate(headers):
        header = clean_header(raw)
        name = by_header.get(header)
        if name is None:
            unexpected.append(repr(header) if header else f"(empty header, column {i + 1})")
        elif name in found:
            twice.append(f"{name} ({resource.field_map[name].label})")
        else:
            found[name] = i
    missing = [
        f"{f.name} ({f.label})" for f in resource.fields if not f.nullable and f.name not in found
    ]
    problems = []
    if missing:
        problems.append(f"missing mandatory column(s): {', '.join(missing)}")
    if unexpected:
        problems.append(f"unexpected column(s): {', '.join(unexpected)}")
    if twice:
        problems.append(f"column(s) delivered twice: {', '.join(twice)}")
    if problems:
        raise Rejected("; ".join(problems))
    return found


ROW_GROUP = 131_072  # rows per chunk and per Parquet row group (DuckDB uses 122,880)


def raw_schema(resource: Resource) -> pa.Schema:
    """The raw contract's columns and types for one resource."""
    keys = [f.pseudonym_column for f in resource.fields if f.pseudonymised]
    return pa.schema(
        [(f.name, pa.string()) for f in resource.fields]
        + [(k, pa.string()) for k in keys]
        + [
            ("_batch_id", pa.string()),
            ("_source_file", pa.string()),
            ("_source_sheet", pa.string()),
            ("_source_row", pa.int64()),
            ("_ingested_at", pa.timestamp("us", tz="UTC")),
        ]
    )


def raw_chunk(
    columns: dict[str, pa.ChunkedArray | pa.Array | None],
    resource: Resource,
    rows: pa.Array,
    *,
    key: bytes,
    audit: tuple[str, str, dt.datetime],
    invalid: dict[str, int],
    as_of: dt.date | None = None,
    masks: dict[str, list[np.ndarray]] | None = None,
    sheets: pa.Array | None = None,
) -> pa.Table:
    """One slice of the raw table (fields as delivered, pseudonyms, audit columns); adds this
    slice's invalid identifiers (judged as of ``as_of``, default today) to ``invalid``, and
    their masks to ``masks``. Ingest writes these; benchmarks reuse it."""
    n = len(rows)
    out: dict[str, pa.Array | pa.ChunkedArray] = {}
    keys: dict[str, pa.Array] = {}
    for f in resource.fields:
        col = columns[f.name]
        out[f.name] = col if col is not None else pa.nulls(n, pa.string())
        if col is None:
            if f.pseudonymised:
                keys[f.pseudonym_column] = pa.nulls(n, pa.string())
            continue
        if f.format in CHECKED_FORMATS or f.pseudonymised:
            normalised = normalise_array(col)
            if f.format in CHECKED_FORMATS:
                bad = invalid_mask(normalised, CHECKED_FORMATS[f.format], today=as_of)
                invalid[f.name] += int(bad.sum())
                if masks is not None:
                    masks.setdefault(f.name, []).append(bad)
            if f.pseudonymised:
                keys[f.pseudonym_column] = hmac_hex(normalised, key)
    batch_id, source_file, ingested_at = audit
    out |= keys
    out |= {
        "_batch_id": pa.repeat(pa.scalar(batch_id, pa.string()), n),
        "_source_file": pa.repeat(pa.scalar(source_file, pa.string()), n),
        "_source_sheet": sheets if sheets is not None else pa.nulls(n, pa.string()),
        "_source_row": rows,
        "_ingested_at": pa.repeat(pa.scalar(ingested_at, pa.timestamp("us", tz="UTC")), n),
    }
    return pa.table(out, schema=raw_schema(resource))


def write_raw(
    extract: Extract,
    resource: Resource,
    target: Path,
    *,
    key: bytes,
    batch_id: str,
    source_file: str,
    ingested_at: dt.datetime,
    as_of: dt.date | None = None,
) -> tuple[int, dict[str, int]]:
    """Write the raw part atomically; returns rows written and invalid identifiers per field.

    Identifiers are judged as of ``as_of`` (the batch date; default today), and which rows
    failed is recorded in the part's footer (``idcheck.invalid_rows_record``): the quality
    gate reuses it instead of running the same rule on the same values again.
    Chunks are pipelined: while a writer thread encodes row group k (pyarrow releases the
    GIL), the main thread computes pseudonyms for k+1 (Python-bound), so the two overlap.
    """
    found = map_columns(extract.headers, resource)
    n = extract.table.num_rows
    rows = extract.source_rows
    if rows is None:
        rows = pa.array(np.arange(1, n + 1, dtype=np.int64))
    invalid = {
        f.name: 0 for f in resource.fields if f.format in CHECKED_FORMATS and f.name in found
    }
    audit = (batch_id, source_file, ingested_at)
    as_of = as_of or dt.date.today()
    masks: dict[str, list[np.ndarray]] = {}
    with atomic_path(target) as tmp:
        writer = pq.ParquetWriter(tmp, raw_schema(resource), compression="snappy")
        try:
            with ThreadPoolExecutor(1) as pool:
                pending = None
                for start in range(0, max(n, 1), ROW_GROUP):
                    length = min(ROW_GROUP, n - start)
                    cols = {
                        f.name: extract.table.column(found[f.name]).slice(start, length)
                        if f.name in found else None
                        for f in resource.fields
                    }  # fmt: skip
                    sheets = extract.sheets
                    table = raw_chunk(cols, resource, rows.slice(start, length), key=key,
                                      audit=audit, invalid=invalid, as_of=as_of, masks=masks,
                                      sheets=None if sheets is None
                                      else sheets.slice(start, length))  # fmt: skip
                    if pending is not None:
                        pending.result()
                    pending = pool.submit(writer.write_table, table, row_group_size=ROW_GROUP)
                if pending is not None:
                    pending.result()
            whole = {name: np.concatenate(parts) for name, parts in masks.items()}
            writer.add_key_value_metadata(invalid_rows_record(whole, as_of=as_of))
            if extract.findings:
                writer.add_key_value_metadata({FINDINGS_KEY: findings_record(extract.findings)})
        finally:
            writer.close()
    return n, invalid


def _fields_of(headers: list[str], resource: Resource) -> dict[str, int]:
    """Register field → column index in one batch, leniently (the file's verdict on its
    headers is ``map_columns`` on all of them, once the batches are read)."""
    by_header = {h: f.name for f in resource.fields for h in (f.label, f.name)}
    found: dict[str, int] = {}
    for i, raw in enumerate(headers):
        name = by_header.get(clean_header(raw))
        if name is not None:
            found.setdefault(name, i)
    return found


def write_raw_stream(
    stream: Stream,
    resource: Resource,
    target: Path,
    *,
    key: bytes,
    batch_id: str,
    source_file: str,
    ingested_at: dt.datetime,
    as_of: dt.date | None = None,
) -> tuple[int, dict[str, int]]:
    """:func:`write_raw` for a delivery read in batches (``ingest.stream``): each batch is
    written as it comes into a hidden file, renamed into place only once the whole file was
    read and its headers judged; any rejection on the way leaves nothing visible. Memory
    holds a batch or two, plus one bit-per-row mask of invalid identifiers per checked field
    (for the footer record)."""
    as_of = as_of or dt.date.today()
    audit = (batch_id, source_file, ingested_at)
    checked = [f.name for f in resource.fields if f.format in CHECKED_FORMATS]
    invalid = dict.fromkeys(checked, 0)
    masks: dict[str, list[np.ndarray]] = {}
    header_problem: Rejected | None = None
    if stream.headers:  # known before the rows (CSV, workbooks): judge them first
        try:
            map_columns(stream.headers, resource)
        except Rejected as exc:
            header_problem = exc  # the verdict, unless a parse error later in the file comes first
    n = 0
    with atomic_path(target) as tmp:
        writer = pq.ParquetWriter(tmp, raw_schema(resource), compression="snappy")
        try:
            with ThreadPoolExecutor(1) as pool:
                pending = None
                for batch in stream.batches:
                    if header_problem is not None:
                        continue
                    found = _fields_of(batch.headers, resource)
                    length = batch.table.num_rows
                    cols = {
                        f.name: batch.table.column(found[f.name]) if f.name in found else None
                        for f in resource.fields
                    }  # fmt: skip
                    table = raw_chunk(cols, resource, batch.rows, key=key, audit=audit,
                                      invalid=invalid, as_of=as_of, masks=masks,
                                      sheets=batch.sheets)  # fmt: skip
                    for name in checked:  # a JSON key absent from this batch only: all valid
                        if name not in found:
                            masks.setdefault(name, []).append(np.zeros(length, dtype=bool))
                    n += length
                    if pending is not None:
                        pending.result()
                    pending = pool.submit(writer.write_table, table, row_group_size=ROW_GROUP)
                if pending is not None:
                    pending.result()
            if header_problem is not None:
                raise header_problem
            found = map_columns(stream.headers, resource)
            whole = {name: np.concatenate(parts) for name, parts in masks.items()
                     if name in found}  # fmt: skip
            writer.add_key_value_metadata(invalid_rows_record(whole, as_of=as_of))
            if stream.findings:
                record = findings_record(tuple(stream.findings))
                writer.add_key_value_metadata({FINDINGS_KEY: record})
        finally:
            writer.close()
    return n, {name: count for name, count in invalid.items() if name in found}


def findings_record(findings: tuple[Finding, ...]) -> bytes:
    """The footer value listing a part's row findings (read back by ``read_findings``)."""
    rows = [{"row": f.row, "rule": f.rule, "reason": f.reason} for f in findings]
    return json.dumps(rows, ensure_ascii=False).encode("utf-8")


def read_findings(footer: dict[bytes, bytes] | None) -> list[Finding]:
    """The row findings a raw part's footer lists (none for parts without)."""
    value = (footer or {}).get(FINDINGS_KEY)
    if not value:
        return []
    return [Finding(int(r["row"]), r["rule"], r["reason"]) for r in json.loads(value)]


def sweep_leftovers(folder: Path) -> None:
    """Remove ``.tmp-<pid>-*`` files of writers that are gone (killed mid-write).

    DuckDB's ``read_parquet('*.parquet')`` globs hidden files too, so a leftover would break
    readers of the zone; a live writer's file (its pid still running) is left alone.
    """
    if not folder.exists():
        return
    for tmp in folder.glob(".tmp-*"):
        try:
            pid = int(tmp.name.split("-")[1])
        except (IndexError, ValueError):
            continue
        if pid != os.getpid() and not _alive(pid):
            tmp.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
