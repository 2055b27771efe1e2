"""One writer of a resource at a time, across processes, hosts sharing the lake and Airflow
workers: a lock file in the lake (``_locks/<resource>.lock``, an OS lock through ``filelock``,
released by the OS when the holder dies, so a killed run never leaves it stuck).

Ingest holds it while it compares content with the manifest, writes raw and the manifest, and
supersedes earlier versions; the gate holds it while it moves a batch on. Without it two runs
could both find a content new and ingest it twice. A second run waits, at most
``GOVLAKE_INGEST_LOCK_TIMEOUT`` seconds, then fails with :class:`ResourceBusy` naming the holder.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager

from filelock import FileLock, Timeout

from govlake.lake import Lake


class ResourceBusy(RuntimeError):
    """Another process holds the resource's lock (the message names it)."""


def _holder(lake: Lake, resource: str) -> str:
    try:
        info = json.loads(lake.lock(resource).with_suffix(".holder").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "another process"
    return f"{info.get('what', 'a run')} (pid {info.get('pid')} on {info.get('host')}, since " \
           f"{info.get('since')})"  # fmt: skip


@contextmanager
def resource_lock(
    lake: Lake, resource: str, *, timeout: float, what: str = "ingest"
) -> Iterator[None]:
    """Hold the resource's lock (re-entrant within a thread); wait at most ``timeout`` s."""
    path = lake.lock(resource)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(path, is_singleton=True)
    try:
        lock.acquire(timeout=timeout)
    except Timeout:
        raise ResourceBusy(
            f"{resource}: {_holder(lake, resource)} holds the lock {path}; waited {timeout:g} s "
            "(GOVLAKE_INGEST_LOCK_TIMEOUT). Run again when it has finished."
        ) from None
    holder = path.with_suffix(".holder")
    outermost = lock.lock_counter == 1
    try:
        if outermost:
            info = {"what": what, "pid": os.getpid(), "host": socket.gethostname(),
                    "since": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}  # fmt: skip
            holder.write_text(json.dumps(info), encoding="utf-8")
        yield
    finally:
        if outermost:
            holder.unlink(missing_ok=True)
        lock.release()
