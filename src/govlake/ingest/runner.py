"""Landing → raw for one file and for every pending file of a resource.

What is pending: every entry of the resource's landing folder (``landing.scan``: regular
files at any depth, links, anything else) that is a complete delivery under its department's
rule and whose manifest entry is missing or no longer matches it (size, mtime, ctime). A file
not complete yet is *waiting*: left for a later run. A file whose bytes changed is hashed
again: new bytes are a new version of the path (its own manifest entry and raw part). Once the
new version's rows are in the lake (the gate accepted them, or the same content is there as
another file's), the earlier versions become ``superseded`` and their rows are retracted from
accepted, so the new version replaces them (``quality.retraction``); a new version that is
rejected or held leaves the earlier one in place.

A run holds the resource's lock (``ingest.lock``) from the scan to the last manifest write, so
two runs never ingest the same content twice. A file's version is done once its manifest
entry (written after its raw part) exists. The raw part's name is derived from the content
(``part-<sha256[:16]>.parquet``), so a run killed between the two writes is repaired by the
next run overwriting the same part; versions left unsuperseded by a killed run are
superseded by the next.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

from govlake.ingest import manifest
from govlake.ingest.landing import LandingFile, inspect, scan
from govlake.ingest.lock import resource_lock
from govlake.ingest.raw import sweep_leftovers, write_raw_stream
from govlake.ingest.readers import Rejected, file_format
from govlake.ingest.stream import read_stream, scan_file
from govlake.lake import Lake
from govlake.register import Register, Resource
from govlake.settings import Settings

log = logging.getLogger(__name__)

Status = Literal["ingested", "duplicate", "rejected", "waiting"]


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
    version: int = 1
    superseded: str | None = None  # what happened to the versions this one replaced

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


@dataclass
class LandingPlan:
    """A resource's landing folder against its manifest: what to ingest now, what waits."""

    todo: list[tuple[LandingFile, dict | None]]  # with the path's current entry, if any
    waiting: list[tuple[LandingFile, dict | None]]


def _defaults(
    lake: Lake | None, register: Register | None, settings: Settings | None
) -> tuple[Lake, Register, Settings]:
    from govlake.register import load_register
    from govlake.settings import get_settings

    settings = settings or get_settings()
    return lake or Lake.default(settings), register or load_register(), settings


def _relative(path: Path, lake: Lake) -> str:
    try:
        return path.absolute().relative_to(lake.landing_root.absolute()).as_posix()
    except ValueError:
        raise ValueError(f"{path} is not under the landing zone {lake.landing_root}") from None


def _changed(found: LandingFile, entry: dict) -> bool:
    """Does the landing entry differ from what its manifest entry recorded?"""
    if found.problem is not None or entry.get("problem") is not None:
        return found.problem != entry.get("problem")
    assert found.stat is not None
    st = found.stat
    if "mtime_ns" in entry:
        return (st.size, st.mtime_ns, st.ctime_ns) != (
            entry.get("size"), entry.get("mtime_ns"), entry.get("ctime_ns"))  # fmt: skip
    return st.size != entry.get("size") or st.received != entry.get("received")


def plan(
    resource_id: str,
    *,
    lake: Lake | None = None,
    register: Register | None = None,
    retry_rejected: bool = False,
    now_ns: int | None = None,
) -> LandingPlan:
    """Compare the resource's landing folder with its manifest (no lock needed: reads only)."""
    lake, register, _ = _defaults(lake, register, None)
    res = register.resource(resource_id)
    delivery = register.departments[res.department].delivery
    current = manifest.current_entries(res.id, lake=lake)
    out = LandingPlan([], [])
    for found in scan(lake, res, delivery, now_ns=now_ns):
        entry = current.get(found.rel)
        if entry is not None and not _changed(found, entry):
            if retry_rejected and entry["status"] == "rejected":
                out.todo.append((found, entry))
            continue
        (out.waiting if found.waiting else out.todo).append((found, entry))
    return out


def pending_files(
    resource_id: str,
    *,
    lake: Lake | None = None,
    register: Register | None = None,
    retry_rejected: bool = False,
) -> list[Path]:
    """Landing files of a resource to ingest now: complete, and new or changed (or rejected,
    when retrying)."""
    found = plan(resource_id, lake=lake, register=register, retry_rejected=retry_rejected)
    return [f.path for f, _ in found.todo]


def waiting_files(
    resource_id: str, *, lake: Lake | None = None, register: Register | None = None
) -> list[dict]:
    """Files (or new bytes of known files) not complete yet, as manifest-like rows with
    status ``waiting`` for ``govlake status``; nothing is written."""
    lake, register, _ = _defaults(lake, register, None)
    res = register.resource(resource_id)
    rows = []
    for found, entry in plan(res.id, lake=lake, register=register).waiting:
        assert found.stat is not None
        version = entry.get("version", 1) + 1 if entry else 1
        rows.append({
            "resource": res.id, "department": res.department, "path": found.rel,
            "version": version, "status": "waiting", "sha256": None, "rows": 0,
            "size": found.stat.size, "received": found.stat.received,
            "reason": found.waiting if entry is None else
            f"changed since version {version - 1} was taken (version {version} if its bytes "
            f"differ): {found.waiting}",
        })  # fmt: skip
    return rows


def delivery_ready(
    resource_id: str, *, lake: Lake | None = None, register: Register | None = None
) -> bool:
    """Whether an ingest run should go on now: something is ready, or nothing is waiting.

    The ingest DAG's sensor pokes this: it waits only while every file that would change
    the lake is still incomplete, so a run with nothing in landing never blocks.
    """
    found = plan(resource_id, lake=lake, register=register)
    for f, _ in found.waiting:
        log.info("%s: waiting for %s: %s", resource_id, f.rel, f.waiting)
    return bool(found.todo) or not found.waiting


def ingest_file(
    path: Path,
    resource_id: str,
    *,
    lake: Lake | None = None,
    register: Register | None = None,
    settings: Settings | None = None,
) -> FileResult:
    """Ingest one landing file: raw part + manifest entry, or a recorded rejection/duplicate.

    An unchanged file already in the manifest is a ``duplicate`` (nothing written); a file not
    complete yet is ``waiting`` (nothing written).
    """
    lake, register, settings = _defaults(lake, register, settings)
    res = register.resource(resource_id)
    path = Path(path)
    rel = _relative(path, lake)
    prefix = f"{res.department}/{res.id}/"
    if not rel.startswith(prefix):
        raise ValueError(f"{rel} is not in the landing folder of {res.id} ({prefix})")
    if not (path.exists() or path.is_symlink()):
        raise FileNotFoundError(f"no landing file {path}")
    delivery = register.departments[res.department].delivery
    with resource_lock(lake, res.id, timeout=settings.ingest_lock_timeout):
        found = inspect(lake, res, delivery, lake.landing_root / rel, now_ns=time.time_ns())
        existing = manifest.read_entry(lake, res.id, rel)
        if existing and not _changed(found, existing) and existing["status"] != "rejected":
            return FileResult(
                path, "duplicate", 0, existing.get("batch_id"), existing.get("batch_date"),
                reason=f"already processed at this path (status {existing['status']})",
                version=existing.get("version", 1),
            )  # fmt: skip
        if found.waiting:
            return FileResult(path, "waiting", reason=found.waiting)
        result = _ingest(found, existing, res, lake, register, settings, retry=True)
    if result is None:
        assert existing is not None
        return FileResult(path, "duplicate", 0, existing.get("batch_id"),
                          existing.get("batch_date"), reason="already processed at this path "
                          "(same bytes)", version=existing.get("version", 1))  # fmt: skip
    return result


def _new_entry(found: LandingFile, res: Resource, version: int) -> dict:
    st = found.stat
    return {
        "entry_id": manifest.entry_id(found.rel, version),
        "resource": res.id,
        "department": res.department,
        "path": found.rel,
        "version": version,
        "sha256": None,
        "size": st.size if st else None,
        "received": st.received if st else None,
        "mtime_ns": st.mtime_ns if st else None,
        "ctime_ns": st.ctime_ns if st else None,
        "batch_date": found.batch_date,
        "batch_id": None,
        "status": None,
        "rows": 0,
        "reason": None,
        "ingested_at": manifest.now_utc(),
        "raw_path": None,
    }


def _ingest(
    found: LandingFile,
    previous: dict | None,
    res: Resource,
    lake: Lake,
    register: Register,
    settings: Settings,
    *,
    retry: bool,
) -> FileResult | None:
    """One landing entry (the resource's lock held). None: same bytes as its current entry,
    which only learns the file's new times."""
    version = 1
    if previous is not None:  # unchanged: retrying the same bytes; else the next version
        version = previous.get("version", 1) + _changed(found, previous)
    entry = _new_entry(found, res, version)
    rel, path = found.rel, found.path

    def finish(status: str, reason: str | None = None, **extra) -> FileResult:
        later = previous is not None and previous.get("version", 1) != entry["version"]
        if later and status == "rejected" and previous["status"] != "rejected":
            reason = f"{reason}; version {previous.get('version', 1)} stays as it is until a " \
                     "version is ingested in its place"  # fmt: skip
        entry.update(status=status, reason=reason, **extra)
        manifest.write_entry(lake, entry)
        superseded = None
        if later and status == "duplicate":  # its rows are in the lake: it replaces the earlier
            from govlake.quality.retraction import supersede_older

            superseded = "; ".join(supersede_older(lake, res.id, entry)) or None
        raw = lake.root / entry["raw_path"] if entry["raw_path"] else None
        if status == "rejected":
            log.warning("%s: rejected %s: %s", res.id, rel, reason)
        return FileResult(path, status, entry["rows"], entry["batch_id"], entry["batch_date"],
                          raw, reason, entry["version"], superseded)  # fmt: skip

    if found.problem is not None:
        return finish("rejected", found.problem, problem=found.problem)
    try:
        fmt = file_format(path)
    except Rejected as exc:
        fmt = None
        unsupported = str(exc)
    try:  # the first pass over the file: its hash (and what the readers need to know)
        scanned = scan_file(found.source, block=settings.ingest_block_bytes,
                            text=fmt in ("csv", "jsonl"))  # fmt: skip
    except OSError as exc:
        return finish("rejected", f"could not be read: {exc.strerror or exc}")
    sha = scanned.sha256
    if previous is not None and previous.get("sha256") == sha:
        if not (retry and previous["status"] == "rejected"):
            # touched, copied over with the same bytes, …: nothing new to ingest
            manifest.write_entry(lake, {**previous, "size": entry["size"],
                                        "mtime_ns": entry["mtime_ns"],
                                        "ctime_ns": entry["ctime_ns"]})  # fmt: skip
            return None
        version = previous.get("version", 1)  # the same bytes again: the same version
        entry.update(version=version, entry_id=manifest.entry_id(rel, version))
    batch_id = _batch_id(lake, res, sha, rel, version)
    entry.update(sha256=sha, batch_id=batch_id)
    first = _first_with_content(lake, res, sha, rel)
    if first is not None:
        return finish("duplicate", f"same content (sha256 {sha[:12]}…) already ingested as {first}")
    batch_date = found.batch_date
    if batch_date is None:
        parts = rel.split("/")
        folder = parts[2] if len(parts) > 3 else path.parent.name
        return finish("rejected", f"not inside a YYYY-MM-DD date folder ({folder!r})")
    if fmt is None:
        return finish("rejected", unsupported)
    delivery = register.departments[res.department].delivery
    target = lake.raw_partition(res.id, batch_date) / f"part-{batch_id}.parquet"
    sweep_leftovers(target.parent)
    try:  # the second pass: decoded, parsed and written batch by batch (ingest.stream)
        try:
            stream = read_stream(
                found.source, scanned, rows=settings.ingest_batch_rows,
                block=settings.ingest_block_bytes, sheet=res.delivery.sheet,
                line_break_expected=delivery.ends_with_line_break,
            )  # fmt: skip
            rows, invalid = write_raw_stream(
                stream, res, target, key=settings.pseudonym_key(), batch_id=batch_id,
                source_file=rel, ingested_at=dt.datetime.fromisoformat(entry["ingested_at"]),
                as_of=dt.date.fromisoformat(batch_date),
            )  # fmt: skip
        except (Rejected, OSError):
            raise
        except Exception as exc:  # the file's own fault, whatever the parser raised
            raise Rejected(f"could not be read: {type(exc).__name__}: {exc}") from None
    except Rejected as exc:
        return finish("rejected", str(exc))
    now = os.stat(found.source)
    if (now.st_size, now.st_mtime_ns) != (scanned.size, found.stat.mtime_ns):
        target.unlink(missing_ok=True)  # not what was hashed: the next run takes it again
        raise OSError(f"{rel} changed while it was being ingested")
    return finish(
        "ingested",
        rows=rows,
        raw_path=target.relative_to(lake.root).as_posix(),
        encoding=stream.encoding,
        invalid_identifiers=sum(invalid.values()),
        invalid_identifiers_by_field=invalid,
        row_findings=len(stream.findings),
        **({"sheets": sorted(set(stream.sheets))} if stream.sheets else {}),
    )


def _batch_id(lake: Lake, res: Resource, sha: str, rel: str, version: int) -> str:
    """``sha256[:16]`` of the content; if an earlier (superseded) version already holds that id,
    one derived from the path and version too, so every batch id names one raw part."""
    batch_id = sha[:16]
    for e in manifest.read_manifest(res.id, lake=lake):
        same = e["path"] == rel and e.get("version", 1) == version
        if e.get("batch_id") == batch_id and e.get("raw_path") and not same:
            return hashlib.sha256(f"{sha}\0{rel}\0{version}".encode()).hexdigest()[:16]
    return batch_id


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

    ``progress(done, total, result)`` is called after each file. An error reading a file is
    that file's rejection (recorded); an unexpected error writing the lake (a bug, a full
    disk) is reported as a rejection *without* a manifest entry, so the next run (or the
    task's retry) tries the file again. Raises ``ResourceBusy`` when another run holds the
    resource longer than ``GOVLAKE_INGEST_LOCK_TIMEOUT``.
    """
    lake, register, settings = _defaults(lake, register, None)
    res = register.resource(resource_id)
    report = IngestReport(res.id)
    with resource_lock(lake, res.id, timeout=settings.ingest_lock_timeout):
        from govlake.quality.retraction import supersede_stale

        supersede_stale(lake, res.id)  # versions a killed run left unsuperseded
        todo = plan(res.id, lake=lake, register=register, retry_rejected=retry_rejected).todo
        for i, (found, entry) in enumerate(todo, start=1):
            try:
                result = _ingest(found, entry, res, lake, register, settings,
                                 retry=retry_rejected)  # fmt: skip
            except Exception as exc:
                log.exception("%s: error ingesting %s", res.id, found.path)
                result = FileResult(
                    found.path, "rejected", reason=f"error while ingesting ({type(exc).__name__}: "
                    f"{exc}); not recorded, the next run retries it",
                )  # fmt: skip
            if result is None:
                continue
            report.results.append(result)
            if progress:
                progress(i, len(todo), result)
    return report
