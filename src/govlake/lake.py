"""The lake's folder layout: one place that knows where each zone lives.

landing/<dept>/<resource>/<YYYY-MM-DD>/<file>   department drop zone (前置交换区), read-only to us
raw/<resource>/batch_date=<date>/part-<batch>.parquet   as delivered + audit columns (restricted)
accepted/<resource>/batch_date=<date>/part-<batch>.parquet  rows that passed the quality gate
quarantine/<resource>/batch_date=<date>/part-<batch>.parquet  rows it rejected, with reasons
quality_results/<resource>/<batch>.parquet        one row per expectation per validated batch
manifest/<resource>/<entry>.json                 one row per landing file ever seen
curated/…                                        dbt's Parquet outputs
exchange/<dept>/…                                granted deliveries (outbox)
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Lake:
    root: Path

    @property
    def landing_root(self) -> Path:
        return self.root / "landing"

    def landing(self, dept: str, resource: str) -> Path:
        return self.landing_root / dept / resource

    def raw(self, resource: str) -> Path:
        return self.root / "raw" / resource

    def raw_partition(self, resource: str, batch_date: str) -> Path:
        return self.raw(resource) / f"batch_date={batch_date}"

    def accepted(self, resource: str) -> Path:
        return self.root / "accepted" / resource

    def quarantine(self, resource: str) -> Path:
        return self.root / "quarantine" / resource

    def quality_results(self, resource: str) -> Path:
        return self.root / "quality_results" / resource

    def manifest(self, resource: str) -> Path:
        return self.root / "manifest" / resource

    @property
    def curated(self) -> Path:
        return self.root / "curated"

    def exchange(self, dept: str) -> Path:
        return self.root / "exchange" / dept


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a hidden temporary path beside ``target``; rename it into place only on success.

    The temporary name ends in ``.partial``, not the target's suffix: DuckDB's
    ``read_parquet('*.parquet')`` globs hidden files too, so a killed writer's leftover must not
    match. Writers state the format explicitly. The next run overwrites or sweeps the leftover.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".tmp-{os.getpid()}-{target.name}.partial")
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
