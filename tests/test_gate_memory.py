"""The gate's memory does not grow with the number of row groups in a raw part (issue #16).

pyarrow 26's ``ParquetFile.iter_batches`` over a whole file keeps the column chunks it has
read allocated until it ends, so the gate reading a city-scale part that way held about the
part's compressed size by its last batch (bench/RESULTS.md, city). The gate reads one
row group at a time (``gate._record_batches``); this test measures Arrow's live bytes
(``pa.total_allocated_bytes``) batch by batch on a file where pyarrow's whole-file reader
shows the growth, and shows the measurement catches it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

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
