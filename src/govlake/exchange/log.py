"""The exchange's append-only, hash-chained log (``<lake>/exchange/_log/exchange.jsonl``).

Every request, decision, grant, revocation, demand and delivery receipt is one JSON line; the
exchange's current state is folded from it (``state.py``), so its whole history (who, when,
what, why) is kept by construction and nothing is ever updated in place. Each entry carries its
position (``seq``), the hash of the entry before it (``prev``) and its own hash (``hash``:
sha256 of the entry's canonical JSON without ``hash``). ``verify`` finds the first entry that
was edited (its hash no longer matches), removed or moved (its ``seq`` or ``prev`` no longer
fits); ``head.json`` beside the log records the count and last hash at every append, so removing
entries from the end is found too.

Appends hold a lock in the lake (one writer at a time, across processes) and write each line
with one ``write`` on an ``O_APPEND`` descriptor followed by ``fsync``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govlake.lake import Lake, atomic_path

GENESIS = "0" * 64
LOG_DIR = "_log"  # under <lake>/exchange/; department ids never start with "_"
LOCK_NAME = "_exchange"


def log_dir(lake: Lake) -> Path:
    return lake.root / "exchange" / LOG_DIR


def log_path(lake: Lake) -> Path:
    return log_dir(lake) / "exchange.jsonl"


def head_path(lake: Lake) -> Path:
    return log_dir(lake) / "head.json"


def now_utc() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def entry_hash(entry: dict[str, Any]) -> str:
    """sha256 of the entry's canonical JSON (sorted keys, no spaces), ``hash`` left out."""
    body = {k: v for k, v in entry.items() if k != "hash"}
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class LogCorrupt(RuntimeError):
    """The log cannot be read as a chain (the message names the first bad entry)."""


def read_log(lake: Lake) -> list[dict[str, Any]]:
    """Every entry in order; a line that is not JSON stops with its line number."""
    path = log_path(lake)
    if not path.exists():
        return []
    out = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            try:
                out.append(json.loads(line))
            except ValueError as exc:
                raise LogCorrupt(f"{path}: line {n} is not a JSON entry ({exc})") from None
    return out


@contextmanager
def locked(lake: Lake, timeout: float = 60) -> Iterator[None]:
    """One writer of the log at a time (decisions and deliveries alike)."""
    from govlake.ingest.lock import resource_lock

    with resource_lock(lake, LOCK_NAME, timeout=timeout, what="exchange"):
        yield


def _tail(lake: Lake) -> tuple[int, str]:
    """(count, hash of the last entry) from the log's end, read backwards a little."""
    path = log_path(lake)
    if not path.exists() or path.stat().st_size == 0:
        return 0, GENESIS
    with path.open("rb") as fh:
        size = fh.seek(0, os.SEEK_END)
        chunk = 1 << 16
        while True:
            start = max(0, size - chunk)
            fh.seek(start)
            data = fh.read(size - start)
            lines = data.rstrip(b"\n").split(b"\n")
            if len(lines) > 1 or start == 0:
                try:
                    last = json.loads(lines[-1])
                    return int(last["seq"]), str(last["hash"])
                except (ValueError, KeyError, TypeError):
                    raise LogCorrupt(
                        f"{path}: the last line is not a complete entry (a write cut short, or "
                        "an edit): nothing more is appended until `govlake exchange audit "
                        "--verify` passes"
                    ) from None
            chunk *= 4


def append(lake: Lake, kind: str, actor: str, **fields: Any) -> dict[str, Any]:
    """Append one entry (call inside ``locked``); returns it with seq, prev and hash."""
    return append_all(lake, [(kind, actor, fields)])[0]


def append_all(lake: Lake, items: list[tuple[str, str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Append entries (kind, actor, fields) in order with one ``write`` and one ``fsync``
    (call inside ``locked``): the read API's group commit of audit entries."""
    seq, prev = _tail(lake)
    entries, lines = [], []
    for kind, actor, fields in items:
        seq += 1
        entry: dict[str, Any] = {"seq": seq, "at": now_utc(), "kind": kind, "actor": actor}
        entry.update(fields)
        entry["prev"] = prev
        entry["hash"] = prev = entry_hash(entry)
        entries.append(entry)
        lines.append(json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n")
    if not entries:
        return entries
    path = log_path(lake)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
    try:
        os.write(fd, "".join(lines).encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    with atomic_path(head_path(lake)) as tmp:
        tmp.write_text(json.dumps({"count": seq, "hash": prev}), "utf-8")
    return entries


@dataclass(frozen=True)
class Verdict:
    """Result of ``verify``: ``bad`` is the 1-based line of the first bad entry (None: good)."""

    entries: int
    bad: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.bad is None


def verify(lake: Lake) -> Verdict:
    """Walk the chain from the start; the first entry that does not fit is named."""
    path = log_path(lake)
    if not path.exists():
        return Verdict(0)
    lines = path.read_text(encoding="utf-8").splitlines()
    prev, n = GENESIS, 0
    seqs: list[object] = []
    for n, line in enumerate(lines, start=1):
        try:
            entry = json.loads(line)
        except ValueError:
            return Verdict(n - 1, n, f"line {n} is not a JSON entry (cut or edited)")
        if not isinstance(entry, dict) or "hash" not in entry:
            return Verdict(n - 1, n, f"line {n} is not an exchange entry")
        seq = entry.get("seq")
        seqs.append(seq)
        if entry_hash(entry) != entry["hash"]:
            return Verdict(n - 1, n, f"entry {seq} (line {n}) was changed: its hash differs")
        if seq != n:
            later = any(f'"seq":{n},' in other for other in lines[n:])
            what = "moved: the entries are out of order" if later else "removed"
            return Verdict(
                n - 1, n, f"line {n} holds entry {seq} instead of entry {n}: entry {n} was {what}"
            )
        if entry.get("prev") != prev:
            return Verdict(n - 1, n, f"entry {seq} (line {n}) does not follow the entry before it")
        prev = entry["hash"]
    head = head_path(lake)
    if head.exists():
        recorded = json.loads(head.read_text(encoding="utf-8"))
        if recorded.get("count", 0) > n:
            return Verdict(
                n,
                n + 1,
                f"the log ends at entry {n} but {recorded['count']} were written: "
                f"entries {n + 1}..{recorded['count']} were removed",
            )
        if recorded.get("count") == n and recorded.get("hash") != prev:
            return Verdict(n, n, f"entry {n} (line {n}) is not the entry last written")
    return Verdict(n)
