"""The gate's memory does not grow with the number of row groups in a raw part (issue #16).

pyarrow 26's ``ParquetFile.iter_batches`` over a whole file keeps every column chunk it has
read allocated until it ends, so a gate reading a city-scale part that way held the part's
compressed size by its last batch. The gate reads one row group at a time
(``gate._record_batches``); these tests measure Arrow's live bytes
(``pa.total_allocated_bytes``) batch by batch, and show the measurement catches the growth
with the whole-file reader.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from govlake.identifiers import make_citizen_id
from govlake.lake import Lake
from govlake.quality import gate

GROUPS, GROUP_ROWS = 48, 4096


def _part(path: Path, columns: int = 15) -> int:
    """A Parquet file of ``GROUPS`` row groups of random text, ``columns`` columns wide (the
    growth shows when a reader reads some of many columns: keys, or a raw part's fifteen);
    the size of one column."""
    rng = np.random.default_rng(7)
    n = GROUPS * GROUP_ROWS
    text = np.array([rng.bytes(9).hex() for _ in range(n)], dtype=object)
    table = pa.table({f"c{i}": pa.array(np.roll(text, i)) for i in range(columns)})
    pq.write_table(table, path, row_group_size=GROUP_ROWS, compression="snappy")
    return path.stat().st_size // columns


def _growth(batches) -> int:
    """Arrow's live bytes after the last batch minus after the second (the first allocates
    the reader's own buffers): what reading more batches kept."""
    seen = [pa.total_allocated_bytes() for _ in batches]
    return seen[-1] - seen[1]


def test_reading_a_part_by_row_group_keeps_nothing_per_group(tmp_path: Path) -> None:
    path = tmp_path / "part.parquet"
    column = _part(path)
    by_group = _growth(gate._record_batches(pq.ParquetFile(path), GROUP_ROWS, ["c0"]))
    gated = _growth(b for _, b in gate._batches(path, 3 * GROUP_ROWS, []))
    whole = _growth(pq.ParquetFile(path).iter_batches(batch_size=GROUP_ROWS, columns=["c0"]))
    # a row group's worth at most, where the whole-file reader keeps most of the column
    # (if a pyarrow release stops keeping it, the row-group reader is no longer needed)
    assert by_group < 2 * column / GROUPS, (by_group, column)
    assert gated < 15 * 2 * column / GROUPS, (gated, column)
    assert whole > column / 2, (whole, column)


@pytest.mark.integration
def test_gate_memory_is_flat_across_batches(
    lake_root: Path, register, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The gate over a 48-row-group part in 24 batches: Arrow's live bytes after the last
    batch's validation are those after the second's, give or take a row group; the same gate
    reading the part with one whole-file ``iter_batches`` keeps most of the part."""
    from test_quality_gate import person, write_batch

    lake = Lake(lake_root)
    n = GROUPS * GROUP_ROWS
    born = dt.date(1980, 1, 1)
    rows = [
        person(0, citizen_id=make_citizen_id("110107", born + dt.timedelta(days=i // 400),
                                             i, i % 2 == 0),
               sex="男" if i % 2 == 0 else "女", birth_date=(born + dt.timedelta(days=i // 400))
               .isoformat(), household_id=f"H{i:07d}", person_name=f"测试{i}")
        for i in range(n)
    ]  # fmt: skip
    path = write_batch(lake, register, "registered_person", "memb", rows)
    table = pq.read_table(path)
    pq.write_table(table, path, row_group_size=GROUP_ROWS)  # as ingest writes: many groups
    size = path.stat().st_size

    def gated() -> int:
        seen: list[int] = []
        stock = gate.run_suite

        def measured(*args, **kwargs):
            out = stock(*args, **kwargs)
            seen.append(pa.total_allocated_bytes())
            return out

        monkeypatch.setattr(gate, "run_suite", measured)
        result = gate.validate_batch("registered_person", "memb", lake=lake, register=register,
                                     batch_rows=2 * GROUP_ROWS)  # fmt: skip
        monkeypatch.setattr(gate, "run_suite", stock)
        assert result.delivered == n and not result.held, result.message
        assert len(seen) == GROUPS // 2
        return seen[-1] - seen[1]

    fixed = gated()

    def whole_file(pf: pq.ParquetFile, rows: int, columns: list[str] | None = None):
        return pf.iter_batches(batch_size=rows, columns=columns)

    monkeypatch.setattr(gate, "_record_batches", whole_file)
    stock = gated()
    assert fixed < 2 * size / GROUPS, (fixed, size)
    assert stock > size / 2, (stock, size)
