"""The generator's record of what it did (outside the landing zone): every injected defect,
every disagreement between departments, and the true counts downstream tests compare with."""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

DEFECT_SCHEMA = pa.schema(
    [
        ("resource", pa.string()),
        ("source_file", pa.string()),
        ("source_row", pa.int64()),
        ("field", pa.string()),
        ("kind", pa.string()),
        ("fatal", pa.bool_()),
        ("clean_value", pa.string()),
        ("delivered_value", pa.string()),
        ("duplicate_of", pa.int64()),
    ]
)
DISAGREEMENT_SCHEMA = pa.schema(
    [
        ("base_attribute", pa.string()),
        ("entity_key", pa.string()),
        ("resource", pa.string()),
        ("field", pa.string()),
        ("authoritative_value", pa.string()),
        ("delivered_value", pa.string()),
    ]
)
AGE_BANDS = [(lo, lo + 9) for lo in range(0, 90, 10)]


def age_band(age: np.ndarray) -> np.ndarray:
    """'0-9' … '80-89', '90+' (age in whole years on the batch date)."""
    labels = np.array([f"{lo}-{hi}" for lo, hi in AGE_BANDS] + ["90+"], dtype=object)
    return labels[np.minimum(age // 10, 9)]


class Sink:
    """Buffered Parquet writer to a temporary name; ``close`` renames it into place."""

    def __init__(self, path: Path, schema: pa.Schema, flush_every: int = 100_000):
        self.path, self.schema, self.flush_every = path, schema, flush_every
        self.tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
        self.writer = pq.ParquetWriter(self.tmp, schema)
        self.buffer: list[tuple] = []
        self.count = 0

    def add(self, row: tuple) -> None:
        self.buffer.append(row)
        self.count += 1
        if len(self.buffer) >= self.flush_every:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            cols = list(zip(*self.buffer, strict=True))
            self.writer.write_table(
                pa.table(
                    [pa.array(c, f.type) for c, f in zip(cols, self.schema, strict=True)],
                    schema=self.schema,
                )
            )
            self.buffer = []

    def close(self) -> None:
        self.flush()
        self.writer.close()
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        self.writer.close()
        self.tmp.unlink(missing_ok=True)


class Truth:
    """Counters accumulated chunk by chunk, written as ``truth.json``."""

    def __init__(self, **meta: object):
        self.meta = meta
        self.rows: Counter[str] = Counter()
        self.fatal_rows: Counter[str] = Counter()
        self.defects: dict[str, Counter[str]] = defaultdict(Counter)
        self.disagreements: Counter[str] = Counter()
        self.counts: Counter[str] = Counter()
        self.population: Counter[tuple[str, str, str]] = Counter()

    def write(self, path: Path) -> None:
        data = {
            **self.meta,
            "rows": dict(sorted(self.rows.items())),
            "fatal_rows": {k: self.fatal_rows.get(k, 0) for k in sorted(self.rows)},
            "accepted_rows": {
                k: v - self.fatal_rows.get(k, 0) for k, v in sorted(self.rows.items())
            },
            "defects": {k: dict(sorted(v.items())) for k, v in sorted(self.defects.items())},
            "disagreements": dict(sorted(self.disagreements.items())),
            **dict(sorted(self.counts.items())),
            "persons_by_street_sex_age_band": [
                {"street_code": s, "sex": x, "age_band": a, "persons": n}
                for (s, x, a), n in sorted(self.population.items())
            ],
        }
        tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, path)
