"""The manifest: one JSON file per landing file ever seen, ``manifest/<resource>/<entry>.json``.

One file per entry (not one table) so that concurrent writers of different files never
contend and every update is a single atomic rename. The quality gate moves an entry on from
``ingested`` to ``accepted`` / ``held`` with :func:`update_status`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

from govlake.lake import Lake, atomic_path

STATUSES = ("ingested", "duplicate", "rejected", "accepted", "held")
HAS_ROWS = frozenset({"ingested", "accepted", "held"})  # statuses whose rows are in raw


def entry_id(relative_path: str) -> str:
    """Stable id of a landing file: sha1 of its path relative to the landing root."""
    return hashlib.sha1(relative_path.encode("utf-8")).hexdigest()


def entry_path(lake: Lake, resource: str, relative_path: str) -> Path:
    return lake.manifest(resource) / f"{entry_id(relative_path)}.json"


def now_utc() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def write_entry(lake: Lake, entry: dict[str, Any]) -> Path:
    """Write (or replace) one entry atomically."""
    if entry["status"] not in STATUSES:
        raise ValueError(f"unknown manifest status {entry['status']!r}; expected {STATUSES}")
    target = entry_path(lake, entry["resource"], entry["path"])
    with atomic_path(target) as tmp:
        tmp.write_text(json.dumps(entry, ensure_ascii=False, indent=1), encoding="utf-8")
    return target


def read_entry(lake: Lake, resource: str, relative_path: str) -> dict[str, Any] | None:
    path = entry_path(lake, resource, relative_path)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def read_manifest(resource: str | None = None, *, lake: Lake | None = None) -> list[dict]:
    """Every entry of one resource (or of all), ordered by landing path."""
    lake = lake or Lake.default()
    root = lake.root / "manifest"
    folders = [lake.manifest(resource)] if resource else sorted(p for p in root.glob("*"))
    entries = []
    for folder in folders:
        for path in folder.glob("*.json"):
            if not path.name.startswith("."):  # skip atomic_path's .tmp- files
                entries.append(json.loads(path.read_text(encoding="utf-8")))
    return sorted(entries, key=lambda e: (e["resource"], e["path"]))


def update_status(
    entry: dict[str, Any], status: str, *, lake: Lake | None = None, **extra: Any
) -> dict[str, Any]:
    """Set a new status (and any extra fields, e.g. accepted_rows) on an entry; returns it.

    Re-reads the stored entry first so that fields written by others are kept.
    """
    lake = lake or Lake.default()
    current = read_entry(lake, entry["resource"], entry["path"]) or dict(entry)
    current.update(extra)
    current["status"] = status
    current["updated_at"] = now_utc()
    write_entry(lake, current)
    return current
