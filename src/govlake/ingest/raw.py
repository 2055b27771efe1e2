"""Delivered columns → the raw contract: register fields as text, pseudonyms, audit columns.

Raw column order: every register field by ``name`` (string, delivered text; all-null when a
nullable field is absent), then ``<name>_key`` for each pseudonymised field, then ``_batch_id``,
``_source_file``, ``_source_row`` (int64, 1-based data row) and ``_ingested_at`` (UTC).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from govlake.ingest.idcheck import count_invalid
from govlake.ingest.pseudonym import hmac_hex, normalise_array
from govlake.ingest.readers import Extract, Rejected
from govlake.lake import atomic_path
from govlake.register import FieldFormat, Resource

AUDIT_COLUMNS = ("_batch_id", "_source_file", "_source_row", "_ingested_at")
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


def build_table(
    extract: Extract,
    resource: Resource,
    *,
    key: bytes,
    batch_id: str,
    source_file: str,
    ingested_at: dt.datetime,
) -> tuple[pa.Table, dict[str, int]]:
    """The raw table and the count of invalid identifiers per checked field."""
    found = map_columns(extract.headers, resource)
    n = extract.table.num_rows
    columns: dict[str, pa.Array | pa.ChunkedArray] = {}
    for f in resource.fields:
        i = found.get(f.name)
        columns[f.name] = extract.table.column(i) if i is not None else pa.nulls(n, pa.string())
    invalid: dict[str, int] = {}
    for f in resource.fields:
        if f.format not in CHECKED_FORMATS and not f.pseudonymised:
            continue
        if f.name not in found:
            if f.pseudonymised:
                columns[f.pseudonym_column] = pa.nulls(n, pa.string())
            continue
        normalised = normalise_array(columns[f.name])
        if f.format in CHECKED_FORMATS:
            invalid[f.name] = count_invalid(normalised, CHECKED_FORMATS[f.format])
        if f.pseudonymised:
            columns[f.pseudonym_column] = hmac_hex(normalised, key)
    keys = [f.pseudonym_column for f in resource.fields if f.pseudonymised]
    ordered = {f.name: columns[f.name] for f in resource.fields} | {k: columns[k] for k in keys}
    rows = extract.source_rows
    if rows is None:
        rows = pa.array(range(1, n + 1), pa.int64())
    ordered |= {
        "_batch_id": pa.repeat(pa.scalar(batch_id, pa.string()), n),
        "_source_file": pa.repeat(pa.scalar(source_file, pa.string()), n),
        "_source_row": rows,
        "_ingested_at": pa.repeat(pa.scalar(ingested_at, pa.timestamp("us", tz="UTC")), n),
    }
    return pa.table(ordered), invalid


def write_parquet(table: pa.Table, target: Path) -> None:
    """Atomic write: a temp file beside the target, renamed only when complete."""
    with atomic_path(target) as tmp:
        pq.write_table(table, tmp, compression="snappy")


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
