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
            # a batch setting far above any file (DuckDB must not be asked for it at once)
            assert streamed(path, 1 << 40, 8 << 20) == expected, path.name
            outcomes[expected[0]] += 1
    assert min(outcomes.values()) >= 20, outcomes  # both outcomes are exercised


# --- memory: bounded by the settings, not by the file ------------------------------------------

MEASURE = r"""
import datetime as dt, sys, tracemalloc
from pathlib import Path
import pyarrow as pa
from govlake.register import load_register
from govlake.ingest import raw, readers, stream

mode, path, target = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
res = load_register().resource("registered_person")
args = dict(key=b"k", batch_id="b", source_file="f", ingested_at=dt.datetime.now(dt.UTC))


def ingest(path):
    if mode == "stream":
        block = 64 << 10
        s = stream.read_stream(path, stream.scan_file(path, block=block, text=True), rows=2048,
                               block=block)
        return raw.write_raw_stream(s, res, target, **args)[0]
    extract = readers.read_file(path, path.read_bytes())
    return raw.write_raw(extract, res, target, **args)[0]


small = path.with_name("small.csv")  # imports, caches and code paths warmed up first
small.write_bytes(b"".join(path.read_bytes().splitlines(keepends=True)[:50]))
ingest(small)
pool = pa.default_memory_pool()
base = pool.bytes_allocated()
tracemalloc.start()
rows = ingest(path)
python_peak = tracemalloc.get_traced_memory()[1]
print(rows, python_peak, pool.max_memory() - base)
"""


def _peak(mode: str, path: Path, tmp_path: Path) -> tuple[int, int, int]:
    """Rows, peak bytes held by Python objects (tracemalloc) and by Arrow (its memory pool's
    high-water mark) while ingesting ``path``, in a fresh process."""
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", MEASURE, mode, str(path), str(tmp_path / f"{mode}.parquet")],
        capture_output=True, text=True, check=True,
        env={**__import__("os").environ, "ARROW_DEFAULT_MEMORY_POOL": "system"},
    )  # fmt: skip
    rows, python_peak, arrow_peak = map(int, out.stdout.split()[-3:])
    return rows, python_peak, arrow_peak


def test_streaming_memory_is_bounded_by_the_batch_not_the_file(tmp_path, register) -> None:
    """A 27 MB GB18030 CSV read in 64 KiB blocks and 2,048-row batches: Python and Arrow
    together hold under a quarter of it at any time (about 30 blocks: pyarrow reads ahead,
    each block is held as read, decoded and re-encoded), where the whole-file reader holds
    more than the file (the bytes, their UTF-8 decode and the table)."""
    res = register.resource("registered_person")
    header = ",".join(f.label for f in res.fields)
    lines = [header]
    for i in range(320_000):
        row = {"citizen_id": f"11010719{i % 90 + 10}0101{i % 10000:04d}", "person_name": f"姓名{i}",
               "sex": "男", "birth_date": "1980-01-01", "ethnicity": "汉族",
               "household_id": f"H{i:07d}", "street_code": "110107001",
               "registration_type": "户籍", "move_in_date": f"2020-02-0{i % 9 + 1}",
               "operation": "新增"}  # fmt: skip
        lines.append(",".join(row[f.name] for f in res.fields))
    path = tmp_path / "big.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gb18030"))
    size = path.stat().st_size
    assert size > 24 << 20
    rows, py_stream, arrow_stream = _peak("stream", path, tmp_path)
    assert rows == 320_000
    rows_whole, py_whole, arrow_whole = _peak("whole", path, tmp_path)
    assert rows_whole == rows
    bound = size // 4
    assert py_stream + arrow_stream < bound, (py_stream, arrow_stream, size)
    assert py_whole + arrow_whole > 2 * bound, (py_whole, arrow_whole, size)
