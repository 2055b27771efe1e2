"""Streaming ingest (issue #16): the batches ``ingest.stream`` reads equal what the whole-file
readers (``ingest.readers``) read, file for file, row for row and rejection message for
rejection message; and reading a file many times the batch budget stays within a memory
bound that a whole-file read exceeds."""

from __future__ import annotations

import random
from pathlib import Path

import pyarrow as pa
import pytest
from test_ingest_fuzz import SEEDS, mutate_bytes, mutate_workbook, samples  # noqa: F401

from govlake.ingest.readers import Rejected, read_file
from govlake.ingest.stream import read_stream, scan_file

pytestmark = pytest.mark.integration

TINY_ROWS, TINY_BLOCK = 7, 1024  # many batch and block boundaries in a 40-row file


def whole(path: Path) -> tuple:
    """What the whole-file readers make of ``path``: rows by header, or the rejection."""
    try:
        ex = read_file(path, path.read_bytes())
    except Rejected as exc:
        return ("rejected", str(exc))
    except Exception as exc:  # what the runner records as "could not be read"
        return ("rejected", f"{type(exc).__name__}: {exc}")
    rows = ex.source_rows.to_pylist() if ex.source_rows is not None else list(
        range(1, ex.table.num_rows + 1))  # fmt: skip
    sheets = ex.sheets.to_pylist() if ex.sheets is not None else None
    columns = [(h, ex.table.column(i).to_pylist()) for i, h in enumerate(ex.headers)]
    if path.suffix == ".jsonl":  # keys: their order is not part of the data
        columns.sort(key=lambda c: c[0])
    findings = sorted((f.row, f.rule, f.reason) for f in ex.findings)
    return ("read", ex.encoding, columns, rows, sheets, findings)


def streamed(path: Path, rows: int, block: int) -> tuple:
    """The same from the streaming readers, batches put back together."""
    text = path.suffix in (".csv", ".jsonl")
    try:
        stream = read_stream(path, scan_file(path, block=block, text=text), rows=rows,
                             block=block)  # fmt: skip
        batches = list(stream.batches)
    except Rejected as exc:
        return ("rejected", str(exc))
    except Exception as exc:  # what the runner records as "could not be read"
        return ("rejected", f"{type(exc).__name__}: {exc}")
    assert all(b.table.num_rows <= rows for b in batches)
    headers = stream.headers
    values: dict = {}
    for b in batches:
        for i, h in enumerate(b.headers):
            values.setdefault(h if path.suffix == ".jsonl" else i, []).append(
                b.table.column(i).combine_chunks()
                if b.table.num_rows
                else pa.array([], pa.string())
            )
        if path.suffix == ".jsonl":  # a key missing from a batch: nulls there
            for h in headers:
                if h not in b.headers:
                    values.setdefault(h, []).append(pa.nulls(b.table.num_rows, pa.string()))
    n = sum(b.table.num_rows for b in batches)
    order = [(h if path.suffix == ".jsonl" else i) for i, h in enumerate(headers)]
    columns = [(h, pa.concat_arrays(values[k]).to_pylist() if k in values else [None] * n)
               for h, k in zip(headers, order, strict=True)]  # fmt: skip
    if path.suffix == ".jsonl":
        columns.sort(key=lambda c: c[0])
    numbers = [r for b in batches for r in b.rows.to_pylist()]
    sheets = [s for b in batches for s in b.sheets.to_pylist()] if path.suffix == ".xlsx" else None
    findings = sorted((f.row, f.rule, f.reason) for f in stream.findings)
    return ("read", stream.encoding, columns, numbers, sheets, findings)


def test_streaming_equals_whole_file_on_mutated_files(tmp_path, samples) -> None:  # noqa: F811
    """~200 mutated sample files (truncations, flipped bytes, other encodings, CR/LF mixes,
    JSON keys twice, sheet layouts): tiny batches and blocks, and one batch per file, both
    equal the whole-file readers."""
    rng = random.Random(16)
    outcomes = {"read": 0, "rejected": 0}
    for rid, (fmt, seed) in samples.items():
        for i in range(40):
            path = tmp_path / rid / f"m{i:03d}.{fmt}"
            path.parent.mkdir(parents=True, exist_ok=True)
            if fmt == "xlsx":
                header, rows = seed
                mutate_workbook(path, header, rows, rng)
            else:
                try:
                    path.write_bytes(mutate_bytes(seed, rng, fmt))
                except UnicodeDecodeError:  # a JSON twist on bytes already made invalid
                    continue
            expected = whole(path)
            assert streamed(path, TINY_ROWS, TINY_BLOCK) == expected, path.name
            assert streamed(path, 1 << 30, 8 << 20) == expected, path.name
            outcomes[expected[0]] += 1
    assert min(outcomes.values()) >= 20, outcomes  # both outcomes are exercised
