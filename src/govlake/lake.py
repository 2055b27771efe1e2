"""The lake's folder layout: one place that knows where each zone lives.

landing/<dept>/<resource>/<YYYY-MM-DD>/<file>   department drop zone (前置交换区), read-only to us
raw/<resource>/batch_date=<date>/part-<batch>.parquet   as delivered + audit columns (restricted)
accepted/<resource>/batch_date=<date>/part-<batch>.parquet  a batch the quality gate accepted:
    the raw part itself (a hard link, no bytes copied) …
accepted/<resource>/_deletes/batch_date=<date>/part-<batch>.parquet  … minus these rows
    (``_batch_id``, ``_source_row``: its deletion vector, the rows quarantined); read the zone
    with ``read_accepted`` or dbt's staging, which apply it. A part without one has no deletes.
quarantine/<resource>/batch_date=<date>/part-<batch>.parquet  rows it rejected, with reasons
quality_results/<resource>/<batch>.parquet        one row per expectation per validated batch
manifest/<resource>/<entry>.json                 one entry per version of each landing file
_locks/<resource>.lock                           one ingest or gate of a resource at a time
curated/…                                        dbt's Parquet outputs
exchange/<dept>/…                                granted deliveries (outbox)
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from govlake.settings import Settings


@dataclass(frozen=True)
class Lake:
    root: Path

    @classmethod
    def default(cls, settings: Settings | None = None) -> Lake:
        """The lake of ``settings`` (by default the process's: ``GOVLAKE_LAKE_ROOT``), what
        every function taking ``lake=None`` works on."""
        if settings is None:
            from govlake.settings import get_settings

            settings = get_settings()
        return cls(settings.lake_root)

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

    def accepted_deletes(self, resource: str) -> Path:
        return self.accepted(resource) / "_deletes"

    def quarantine(self, resource: str) -> Path:
        return self.root / "quarantine" / resource

    def quality_results(self, resource: str) -> Path:
        return self.root / "quality_results" / resource

    def manifest(self, resource: str) -> Path:
        return self.root / "manifest" / resource

    def lock(self, resource: str) -> Path:
        return self.root / "_locks" / f"{resource}.lock"

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


def link_or_copy(source: Path, target: Path) -> None:
    """Make ``target`` a hard link to ``source`` (no bytes copied; lake files are never
    rewritten in place), atomically; a copy where the filesystem has no hard links."""
    with atomic_path(target) as tmp:
        try:
            os.link(source, tmp)
        except OSError:
            shutil.copyfile(source, tmp)


def read_accepted(
    lake: Lake, resource: str, batch_id: str | None = None, columns: list[str] | None = None
) -> Any:
    """Every accepted row of ``resource`` (or of one batch) as an Arrow table, None if there
    is none: the parts minus their deletion vectors, as dbt staging reads them. ``columns``
    reads only those (``_source_row`` is added: the deletion vectors need it)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    tables = []
    name = f"part-{batch_id}.parquet" if batch_id else "*.parquet"
    for part in sorted(lake.accepted(resource).glob(f"batch_date=*/{name}")):
        wanted = None if columns is None else [*dict.fromkeys([*columns, "_source_row"])]
        table = pq.read_table(part, columns=wanted)
        deletes = lake.accepted_deletes(resource) / part.parent.name / part.name
        if deletes.exists():
            gone = pq.read_table(deletes, columns=["_source_row"])["_source_row"]
            table = table.filter(pc.invert(pc.is_in(table["_source_row"], gone)))
        tables.append(table)
    return pa.concat_tables(tables, promote_options="default") if tables else None
