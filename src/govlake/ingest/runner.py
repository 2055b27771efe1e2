"""Landing → raw for one file and for every pending file of a resource.

A file is processed once: its manifest entry (written after its raw part) marks it done. The
raw part's name is derived from the content (``part-<sha256[:16]>.parquet``), so a run killed
between the two writes is repaired by the next run overwriting the same part.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

from govlake.ingest import manifest
from govlake.ingest.raw import sweep_leftovers, write_raw
from govlake.ingest.readers import Rejected, read_file
from govlake.lake import Lake
from govlake.register import Register, Resource
from govlake.settings import Settings

log = logging.getLogger(__name__)

Status = Literal["ingested", "duplicate", "rejected"]


@dataclass
class FileResult:
    """Outcome for one landing file (``raw_path`` is absolute; the manifest keeps it relative)."""

    path: Path
    status: Status
    rows: int = 0
    batch_id: str | None = None
    batch_date: str | None = None
    raw_path: Path | None = None
    reason: str | None = None

    def to_dict(self) -> dict:
        d = asdict(self)
        d["path"] = str(self.path)
        d["raw_path"] = str(self.raw_path) if self.raw_path else None
        return d


@dataclass
class IngestReport:
    """All files one run looked at for one resource."""

    resource: str
    results: list[FileResult] = field(default_factory=list)

    @property
    def rejected(self) -> list[FileResult]:
        return [r for r in self.results if r.status == "rejected"]

    @property
    def ingested(self) -> list[FileResult]:
        return [r for r in self.results if r.status == "ingested"]

    @property
    def rows(self) -> int:
        """Rows added to raw by this run (duplicates and rejections add none)."""
        return sum(r.rows for r in self.results if r.status == "ingested")

    @property
    def ok(self) -> bool:
        return not self.rejected

    def rejection_message(self) -> str:
        """One clear message: every rejected file with its reason (which row, which rule)."""
        if not self.rejected:
            return ""
        lines = [f"{self.resource}: {len(self.rejected)} file(s) rejected"]
        lines += [f"  {r.path}: {r.reason}" for r in self.rejected]
        return "\n".join(lines)

    message = rejection_message


def _defaults(
    lake: Lake | None, register: Register | None, settings: Settings | None
) -> tuple[Lake, Register, Settings]:
    from govlake.register import load_register
    from govlake.settings import get_settings

    settings = settings or get_settings()
    return lake or Lake.default(settings), register or load_register(), settings


def _relative(path: Path, lake: Lake) -> str:
    try:
        return path.resolve().relative_to(lake.landing_root.resolve()).as_posix()
    except ValueError:
        raise ValueError(f"{path} is not under the landing zone {lake.landing_root}") from None


def _batch_date(path: Path) -> str | None:
    try:
        return dt.date.fromisoformat(path.parent.name).isoformat()
    except ValueError:
        return None


def pending_files(
    resource_id: str,
    *,
    lake: Lake | None = None,
    register: Register | None = None,
    retry_rejected: bool = False,
) -> list[Path]:
    """Landing files of a resource without a manifest entry (or rejected, when retrying)."""
    lake, register, _ = _defaults(lake, register, None)
    res = register.resource(resource_id)
    folder = lake.landing(res.department, res.id)
    candidates = [*folder.glob("*/*"), *folder.glob("*")] if folder.exists() else []
    out = []
    for path in sorted(candidates):
        if not path.is_file() or path.name.startswith("."):
            continue
        entry = manifest.read_entry(lake, res.id, _relative(path, lake))
        if entry is None or (retry_rejected and entry["status"] == "rejected"):
            out.append(path)
    return out


def ingest_file(
    path: Path,
    resource_id: str,
    *,
    lake: Lake | None = None,
    register: Register | None = None,
    settings: Settings | None = None,
) -> FileResult:
    """Ingest one landing file: raw part + manifest entry, or a recorded rejection/duplicate."""
    lake, register, settings = _defaults(lake, register, settings)
    res = register.resource(resource_id)
    path = Path(path)
    rel = _relative(path, lake)
    prefix = f"{res.department}/{res.id}/"
    if not rel.startswith(prefix):
        raise ValueError(f"{rel} is not in the landing folder of {res.id} ({prefix})")
    existing = manifest.read_entry(lake, res.id, rel)
    if existing and existing["status"] != "rejected":
        return FileResult(
            path, "duplicate", 0, existing.get("batch_id"), existing.get("batch_date"),
            reason=f"already processed at this path (status {existing['status']})",
        )  # fmt: skip

    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    batch_id = sha[:16]
    batch_date = _batch_date(path)
    ingested_at = dt.datetime.now(dt.UTC)
    stat = path.stat()
    entry: dict = {
        "entry_id": manifest.entry_id(rel),
        "resource": res.id,
        "department": res.department,
        "path": rel,
        "sha256": sha,
        "size": stat.st_size,
        "received": dt.datetime.fromtimestamp(stat.st_mtime, dt.UTC).isoformat(),
        "batch_date": batch_date,
        "batch_id": batch_id,
        "status": None,
        "rows": 0,
        "reason": None,
        "ingested_at": ingested_at.isoformat(timespec="microseconds"),
        "raw_path": None,
    }

    def finish(status: Status, reason: str | None = None, **extra) -> FileResult:
        entry.update(status=status, reason=reason, **extra)
        manifest.write_entry(lake, entry)
        raw = lake.root / entry["raw_path"] if entry["raw_path"] else None
        if status == "rejected":
            log.warning("%s: rejected %s: %s", res.id, rel, reason)
        return FileResult(path, status, entry["rows"], batch_id, batch_date, raw, reason)

    first = _first_with_content(lake, res, sha, rel)
    if first is not None:
        return finish("duplicate", f"same content (sha256 {sha[:12]}…) already ingested as {first}")
    if batch_date is None:
        return finish("rejected", f"not inside a YYYY-MM-DD date folder ({path.parent.name!r})")
    try:
        extract = read_file(path, data)
        del data
        target = lake.raw_partition(res.id, batch_date) / f"part-{batch_id}.parquet"
        sweep_leftovers(target.parent)
        rows, invalid = write_raw(
            extract, res, target, key=settings.pseudonym_key(), batch_id=batch_id,
            source_file=rel, ingested_at=ingested_at, as_of=dt.date.fromisoformat(batch_date),
        )  # fmt: skip
    except Rejected as exc:
        return finish("rejected", str(exc))
    return finish(
        "ingested",
        rows=rows,
        raw_path=target.relative_to(lake.root).as_posix(),
        encoding=extract.encoding,
        invalid_identifiers=sum(invalid.values()),
        invalid_identifiers_by_field=invalid,
    )


def _first_with_content(lake: Lake, res: Resource, sha: str, rel: str) -> str | None:
    for e in manifest.read_manifest(res.id, lake=lake):
        if e["sha256"] == sha and e["path"] != rel and e["status"] in manifest.HAS_ROWS:
            return e["path"]
    return None


def ingest_resource(
    resource_id: str,
    *,
    lake: Lake | None = None,
    register: Register | None = None,
    retry_rejected: bool = False,
    progress: Callable[[int, int, FileResult], None] | None = None,
) -> IngestReport:
    """Every pending file of a resource; one bad file never stops the others.

    ``progress(done, total, result)`` is called after each file. An unexpected error (a bug,
    a full disk) is reported as a rejection *without* a manifest entry, so the next run (or the
    task's retry) tries the file again.
    """
    lake, register, settings = _defaults(lake, register, None)
    report = IngestReport(register.resource(resource_id).id)
    todo = pending_files(resource_id, lake=lake, register=register, retry_rejected=retry_rejected)
    for i, path in enumerate(todo, start=1):
        try:
            result = ingest_file(path, resource_id, lake=lake, register=register, settings=settings)
        except Exception as exc:
            log.exception("%s: error ingesting %s", resource_id, path)
            result = FileResult(
                path, "rejected", reason=f"error while ingesting ({type(exc).__name__}: {exc}); "
                "not recorded, the next run retries it",
            )  # fmt: skip
        report.results.append(result)
        if progress:
            progress(i, len(todo), result)
    return report
