"""The sync report: what a publish run did (or, dry, would do) to each dataset, with counts and
bytes; printed by the CLI and kept as JSON under ``<lake>/publish/reports/``."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from govlake.lake import atomic_path

REPORT_DIR = Path("publish") / "reports"
OUTCOMES = ("created", "updated", "unchanged", "withdrawn", "refused", "failed")


@dataclass
class DatasetOutcome:
    code: str
    resource_id: str
    name: str  # CKAN dataset name
    title: str
    outcome: str  # one of OUTCOMES
    organization: str = ""
    uploads: list[str] = field(default_factory=list)  # file keys uploaded (or to upload)
    bytes: int = 0
    datastore_rows: int | None = None  # rows loaded into the DataStore this run
    detail: str = ""  # why: the refusal, the error, the withdrawal mode
    hits: list[dict[str, Any]] = field(default_factory=list)  # personal-data scan hits


@dataclass
class SyncReport:
    target: str  # where: the portal's URL (never the token)
    dry_run: bool
    started_at: str
    finished_at: str = ""
    notes: list[str] = field(default_factory=list)  # e.g. "CKAN unreachable: planned as create"
    datasets: list[DatasetOutcome] = field(default_factory=list)
    path: str = ""  # where the JSON was written

    @classmethod
    def start(cls, target: str, dry_run: bool) -> SyncReport:
        return cls(target, dry_run, _now())

    def add(self, outcome: DatasetOutcome) -> DatasetOutcome:
        self.datasets.append(outcome)
        return outcome

    @property
    def counts(self) -> dict[str, int]:
        return {o: sum(d.outcome == o for d in self.datasets) for o in OUTCOMES}

    @property
    def uploads(self) -> int:
        return sum(len(d.uploads) for d in self.datasets if d.outcome != "failed")

    @property
    def bytes(self) -> int:
        return sum(d.bytes for d in self.datasets if d.outcome != "failed")

    @property
    def problems(self) -> list[str]:
        """What should fail a run: a dataset that could not be synced, or personal data found
        in a file that was about to leave (the catalogue says it is clean: someone must look).
        A catalogue entry refused by the rules is reported, not a problem."""
        out = []
        for d in self.datasets:
            if d.outcome == "failed" or (d.outcome == "refused" and d.hits):
                out.append(f"{d.resource_id} ({d.code}): {d.outcome}: {d.detail}")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "dry_run": self.dry_run,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "counts": self.counts,
            "uploads": self.uploads,
            "bytes": self.bytes,
            "notes": self.notes,
            "datasets": [asdict(d) for d in self.datasets],
        }

    def write(self, lake_root: Path) -> Path:
        """``<lake>/publish/reports/<plan|sync>-<UTC time>.json`` (written aside, renamed)."""
        self.finished_at = self.finished_at or _now()
        stamp = self.started_at.replace(":", "").replace("-", "").replace(".", "")
        kind = "plan" if self.dry_run else "sync"
        path = lake_root / REPORT_DIR / f"{kind}-{stamp}Z.json"
        text = json.dumps(self.to_dict(), ensure_ascii=False, indent=2)
        with atomic_path(path) as tmp:
            tmp.write_text(text + "\n", encoding="utf-8")
        self.path = str(path)
        return path

    def summary_line(self) -> str:
        c = self.counts
        verb = "would upload" if self.dry_run else "uploaded"
        return (
            f"{c['created']} created, {c['updated']} updated, {c['unchanged']} unchanged, "
            f"{c['withdrawn']} withdrawn, {c['refused']} refused, {c['failed']} failed; "
            f"{verb} {self.uploads} files, {self.bytes:,} bytes"
        )


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "")
