"""What lies in a resource's landing folder, and which of it is a complete delivery.

Every entry anywhere below ``landing/<dept>/<resource>/`` is seen once, however deep:

* a regular file is a delivery;
* a symbolic link is followed only to a regular file inside the same resource's landing
  folder (a department may link a file it delivered twice); a link anywhere else (out of the
  folder, to ``/etc/passwd``, to a folder, dangling) is a *problem*: recorded as rejected with
  its reason, never read;
* anything else (a FIFO, a socket, a device, a folder that cannot be listed) is a problem too:
  reading a FIFO would block the run.

A delivery is *complete* when its department's rule in the register says so
(``delivery.completion``, docs/delivery.md): a ``<file>.ok`` marker beside it, a ``_SUCCESS``
marker in its date folder, each written after the file (its mtime is not older than the
file's), or, without markers, no change for ``settle_seconds``. A file that is not complete is
*waiting*: not ingested, listed by ``govlake status``. Markers are the exchange server's
protocol, not deliveries: they get no manifest entry.
"""

from __future__ import annotations

import datetime as dt
import os
import stat as stat_mod
import time
from dataclasses import dataclass
from pathlib import Path

from govlake.lake import Lake
from govlake.register import Completion, DepartmentDelivery, Resource

OK_SUFFIX = ".ok"
SUCCESS = "_SUCCESS"
_KINDS = {
    stat_mod.S_IFIFO: "a FIFO (named pipe)",
    stat_mod.S_IFSOCK: "a socket",
    stat_mod.S_IFCHR: "a character device",
    stat_mod.S_IFBLK: "a block device",
}


@dataclass(frozen=True)
class FileStat:
    """What says a file changed: size, mtime and ctime (ctime cannot be set back by a copy)."""

    size: int
    mtime_ns: int
    ctime_ns: int

    @classmethod
    def of(cls, st: os.stat_result) -> FileStat:
        return cls(st.st_size, st.st_mtime_ns, st.st_ctime_ns)

    @property
    def received(self) -> str:
        return dt.datetime.fromtimestamp(self.mtime_ns / 1e9, dt.UTC).isoformat()


@dataclass(frozen=True)
class LandingFile:
    """One entry of a resource's landing folder."""

    path: Path  # where it lies (a link's own path, not its target)
    rel: str  # relative to the landing root: the manifest's key
    source: Path | None  # what to read (the file, or a link's target); None with a problem
    stat: FileStat | None
    problem: str | None = None  # not read: the reason it is rejected
    waiting: str | None = None  # not complete yet: why

    @property
    def batch_date(self) -> str | None:
        """The date folder right below the resource folder (``<dept>/<res>/<date>/…``)."""
        parts = self.rel.split("/")
        if len(parts) < 4:
            return None
        try:
            return dt.date.fromisoformat(parts[2]).isoformat()
        except ValueError:
            return None


def _is_marker(path: Path, folder: Path, rule: Completion) -> bool:
    if rule is Completion.ok_marker:
        return path.name.endswith(OK_SUFFIX)
    if rule is Completion.success_marker:
        return path.name == SUCCESS and path.parent.parent == folder
    return False


def _mtime_ns(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


def _when(ns: int) -> str:
    return dt.datetime.fromtimestamp(ns / 1e9, dt.UTC).isoformat(timespec="seconds")


def waiting_reason(
    path: Path, st: FileStat, folder: Path, delivery: DepartmentDelivery, now_ns: int
) -> str | None:
    """Why ``path`` is not a complete delivery yet under its department's rule, or None."""
    rule = delivery.completion
    if rule is Completion.settle:
        age = (now_ns - max(st.mtime_ns, st.ctime_ns)) / 1e9
        if age >= delivery.settle:
            return None
        return (
            f"changed {max(age, 0):.0f} s ago: complete once unchanged for "
            f"{delivery.settle} s (settle rule, no completion marker)"
        )
    if rule is Completion.ok_marker:
        marker = path.with_name(path.name + OK_SUFFIX)
        shown = marker.name
    else:
        rel = path.relative_to(folder).parts
        if len(rel) < 2:  # not in a folder of its own: no _SUCCESS can speak for it
            return None  # (rejected by its place anyway, see runner)
        marker = folder / rel[0] / SUCCESS
        shown = f"{rel[0]}/{SUCCESS}"
    written = _mtime_ns(marker)
    if written is None:
        return f"no completion marker {shown} yet"
    if written < st.mtime_ns:
        return (
            f"changed ({_when(st.mtime_ns)}) after its completion marker {shown} "
            f"({_when(written)}): waiting for a new marker"
        )
    return None


def _link(path: Path, rel: str, folder: Path) -> LandingFile:
    """A symbolic link: its target when that is a regular file of the same resource folder."""
    target = Path(os.path.realpath(path))
    real_folder = Path(os.path.realpath(folder))
    shown = os.readlink(path)
    if not target.is_relative_to(real_folder):
        problem = (
            f"symbolic link to {shown} outside this resource's landing folder: not followed "
            "(deliver the file itself)"
        )
        return LandingFile(path, rel, None, None, problem)
    try:
        st = os.stat(target)
    except OSError as exc:
        problem = f"broken symbolic link to {shown} ({exc.strerror})"
        return LandingFile(path, rel, None, None, problem)
    if not stat_mod.S_ISREG(st.st_mode):
        kind = "a folder" if stat_mod.S_ISDIR(st.st_mode) else "not a regular file"
        return LandingFile(path, rel, None, None, f"symbolic link to {shown}, {kind}: not followed")
    return LandingFile(path, rel, target, FileStat.of(st))


def inspect(
    lake: Lake, resource: Resource, delivery: DepartmentDelivery, path: Path, *, now_ns: int
) -> LandingFile:
    """One entry of the resource's landing folder (``path`` as found, not resolved)."""
    folder = lake.landing(resource.department, resource.id)
    rel = path.relative_to(lake.landing_root).as_posix()
    if path.is_symlink():
        found = _link(path, rel, folder)
    else:
        try:
            st = os.lstat(path)
        except OSError as exc:
            return LandingFile(path, rel, None, None, f"cannot be examined ({exc.strerror})")
        if not stat_mod.S_ISREG(st.st_mode):
            kind = _KINDS.get(stat_mod.S_IFMT(st.st_mode), "not a regular file")
            return LandingFile(path, rel, None, None, f"{kind}, not a regular file: not read")
        found = LandingFile(path, rel, path, FileStat.of(st))
    if found.stat is None:
        return found
    waiting = waiting_reason(path, found.stat, folder, delivery, now_ns)
    return LandingFile(found.path, rel, found.source, found.stat, None, waiting)


def scan(
    lake: Lake, resource: Resource, delivery: DepartmentDelivery, *, now_ns: int | None = None
) -> list[LandingFile]:
    """Every entry below the resource's landing folder, in path order; markers left out."""
    folder = lake.landing(resource.department, resource.id)
    now_ns = time.time_ns() if now_ns is None else now_ns
    out: list[LandingFile] = []
    if not folder.is_dir() or folder.is_symlink():
        if folder.is_symlink():
            rel = folder.relative_to(lake.landing_root).as_posix()
            out.append(LandingFile(folder, rel, None, None, "the resource folder is a symbolic "
                                   "link: not followed"))  # fmt: skip
        return out

    def walk(directory: Path) -> None:
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            rel = directory.relative_to(lake.landing_root).as_posix()
            out.append(LandingFile(directory, rel, None, None,
                                   f"folder cannot be listed ({exc.strerror})"))  # fmt: skip
            return
        for e in entries:
            path = Path(e.path)
            try:
                is_dir = e.is_dir(follow_symlinks=False)
            except OSError:
                is_dir = False
            if is_dir:
                walk(path)
            elif not _is_marker(path, folder, delivery.completion):
                out.append(inspect(lake, resource, delivery, path, now_ns=now_ns))

    walk(folder)
    return out


def read_bytes(entry: LandingFile) -> bytes:
    """The file's bytes; never follows a link swapped in since the scan, never blocks."""
    assert entry.source is not None
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    fd = os.open(entry.source, flags)
    with os.fdopen(fd, "rb") as fh:
        if not stat_mod.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise OSError(f"{entry.rel} is no longer a regular file")
        return fh.read()


def mark_complete(
    lake: Lake, resource: Resource, delivery: DepartmentDelivery, paths: list[Path]
) -> list[Path]:
    """Write the completion markers a department's exchange server writes after its files:
    ``<file>.ok`` beside each, or one ``_SUCCESS`` in each date folder; none for ``settle``.
    The sample generator and the tests deliver this way."""
    folder = lake.landing(resource.department, resource.id)
    if delivery.completion is Completion.ok_marker:
        markers = [p.with_name(p.name + OK_SUFFIX) for p in paths]
    elif delivery.completion is Completion.success_marker:
        parts = [p.relative_to(folder).parts for p in paths]
        markers = sorted({folder / rel[0] / SUCCESS for rel in parts if len(rel) > 1})
    else:
        markers = []
    for marker in markers:
        marker.touch()  # written after the files: its mtime is not older than theirs
    return markers
