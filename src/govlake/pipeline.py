"""The pipeline's stages as plain functions: the DAGs, the CLI and the tests all call these.

Each stage is idempotent and returns a JSON-able summary (it travels through XCom); failures of
the *data* (an unreadable file, a held batch) are reported in the summary and turned into a
failed task by ``verdict``, so one bad file never stops the good ones.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field


@dataclass
class StageSummary:
    resource: str
    batches: list[str] = field(default_factory=list)  # batch ids that moved forward
    rows: int = 0
    problems: list[str] = field(default_factory=list)  # one clear line per failed file/batch

    def to_dict(self) -> dict:
        return asdict(self)


def delivery_ready(resource_id: str) -> bool:
    """The ingest DAG's sensor: go on when a complete file is new or changed, or when no file
    is waiting for its completion marker / settle time (a run with nothing to do never waits)."""
    from govlake.ingest.runner import delivery_ready as ready

    return ready(resource_id)


def ingest_step(resource_id: str, *, retry_rejected: bool = False) -> dict:
    """Landing → raw for every pending file of one resource."""
    from govlake.ingest import ingest_resource
    from govlake.ingest.lock import ResourceBusy

    summary = StageSummary(resource_id)
    try:
        report = ingest_resource(resource_id, retry_rejected=retry_rejected)
    except ResourceBusy as exc:
        summary.problems.append(str(exc))
        return summary.to_dict()
    for r in report.results:
        if r.status == "ingested":
            summary.batches.append(r.batch_id)
            summary.rows += r.rows
        elif r.status == "rejected":
            summary.problems.append(f"{resource_id}: rejected {r.path}: {r.reason}")
    return summary.to_dict()


def gate_step(resource_id: str) -> dict:
    """Raw → accepted/quarantine for every batch still waiting for the quality gate.

    Holds the resource's lock (``ingest.lock``): a batch is never gated while ingest
    supersedes it, nor superseded while the gate accepts it.
    """
    from govlake.ingest import read_manifest
    from govlake.ingest.lock import ResourceBusy, resource_lock
    from govlake.lake import Lake
    from govlake.quality import validate_batch
    from govlake.quality.retraction import supersede_stale, superseded_by_newer
    from govlake.register import load_register
    from govlake.settings import get_settings

    settings = get_settings()
    summary = StageSummary(resource_id)
    lake, register = Lake(settings.lake_root), load_register(settings.register_dir)
    try:
        with resource_lock(lake, resource_id, timeout=settings.ingest_lock_timeout, what="gate"):
            supersede_stale(lake, resource_id)  # versions a killed run left unsuperseded
            entries = read_manifest(resource_id, lake=lake)
            waiting = sorted({
                e["batch_id"] for e in entries
                if e.get("status") == "ingested" and not superseded_by_newer(entries, e)
            })  # fmt: skip
            if waiting:
                from govlake.quality.gx_runner import warmth

                logging.getLogger(__name__).info(warmth())
            for batch_id in waiting:  # the register loaded once, not once per batch
                result = validate_batch(resource_id, batch_id, lake=lake, register=register)
                if result.held:
                    summary.problems.append(result.message)
                else:
                    summary.batches.append(batch_id)
                    summary.rows += result.accepted
    except ResourceBusy as exc:
        summary.problems.append(str(exc))
    return summary.to_dict()


def verdict(*summaries: dict | None) -> list[str]:
    """All problems of a run, in order; the caller fails the run when there are any."""
    return [p for s in summaries if s for p in s.get("problems", [])]


# The catalogue's own dbt nodes: its models (tag) and the two seeds rendered from the register.
CATALOGUE_SELECTION = ["tag:catalogue", "catalogue_entries", "catalogue_items"]


def catalogue_step(as_of: str | None = None) -> dict:
    """Catalogue models (freshness judged on ``as_of``, the run's day) → exports → site.

    Runs after every build. The build has built the catalogue models already; they are rebuilt
    here only when they are out of date: judged on another day, or the lake's facts (files,
    batches, quality) moved since without a build.
    """
    import datetime as dt

    from govlake.catalogue.export import export_catalogue
    from govlake.catalogue.facts import facts_unchanged
    from govlake.catalogue.site import build_site
    from govlake.lake import Lake
    from govlake.register import load_register
    from govlake.transform import build
    from govlake.transform.build import beijing_today
    from govlake.transform.query import catalogue_as_of

    summary = StageSummary("catalogue")
    day = dt.date.fromisoformat(as_of) if as_of else beijing_today()
    lake = Lake.default()
    current = catalogue_as_of() == day and facts_unchanged(lake, load_register())
    models: dict = {}
    if not current:
        result = build(CATALOGUE_SELECTION, as_of=day)
        if not result.success:
            summary.problems.append(f"catalogue models: {result.message}")
            return summary.to_dict()
        models = result.nodes
    exported = export_catalogue()
    site = build_site()
    return {
        **summary.to_dict(),
        "models": models,
        "models_rebuilt": not current,
        "exports": [str(p) for p in exported],
        "site": str(site / "index.html"),
    }


def exchange_step(as_of: str | None = None) -> dict:
    """The shared exchange after a build: close demands a resource now meets (供需对接), deliver
    every active grant's batches not yet delivered (expiry judged on ``as_of``, the run's day),
    then rebuild the catalogue site so it shows them (when there is a warehouse)."""
    import datetime as dt

    from govlake.exchange import Exchange, load_rules
    from govlake.exchange.deliver import DeliveryReport, deliver
    from govlake.exchange.log import LogCorrupt
    from govlake.ingest.lock import ResourceBusy
    from govlake.lake import Lake
    from govlake.settings import get_settings

    settings = get_settings()
    lake = Lake(settings.lake_root)
    rules = load_rules()
    day = dt.date.fromisoformat(as_of) if as_of else None
    try:
        closed = Exchange(rules, lake).match_demands()
        report = deliver(rules, on=day, settings=settings)
        report.demands_closed = [list(pair) for pair in closed]
    except (LogCorrupt, ResourceBusy) as exc:  # the log is unreadable, or another run holds it
        report = DeliveryReport((day or dt.date.today()).isoformat(), problems=[str(exc)])
    summary = {"resource": "exchange", **report.to_dict()}
    if settings.warehouse.exists():
        from govlake.catalogue.site import SiteError, build_site

        try:
            summary["site"] = str(build_site(settings) / "index.html")
        except SiteError as exc:
            summary["problems"].append(f"site: {exc}")
    return summary


def publish_step(*, dry_run: bool = False, only: list[str] | None = None) -> dict:
    """Open catalogue entries → CKAN (docs/publishing.md). A refused entry is reported, not a
    problem; a dataset that fails to sync, or a file found to hold personal data, is."""
    from govlake.publish.run import publish
    from govlake.publish.selection import PublishError

    summary = StageSummary("publish")
    try:
        report = publish(dry_run=dry_run, only=only)
    except PublishError as exc:
        summary.problems.append(str(exc))
        return summary.to_dict()
    summary.problems += report.problems
    return {
        **summary.to_dict(),
        "target": report.target,
        "dry_run": report.dry_run,
        "counts": report.counts,
        "uploads": report.uploads,
        "bytes": report.bytes,
        "notes": report.notes,
        "report": report.path,
        "summary": report.summary_line(),
    }
