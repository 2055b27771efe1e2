"""One publish run (``govlake publish``, the publish DAG, ``pipeline.publish_step``): catalogue →
selection → fingerprints → files → personal-data scan → CKAN → report."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from govlake.publish import files as dataset_files
from govlake.publish import mapping
from govlake.publish.report import DatasetOutcome, SyncReport
from govlake.publish.selection import Candidate, PublishError, select
from govlake.publish.sync import (
    Client,
    DatasetWork,
    Syncer,
    Transient,
    files_folder,
    managed_datasets,
    resolve_target,
)
from govlake.settings import Settings, get_settings


def _last_updated(cat: Any, code: str) -> Any:
    """When the data last moved: the latest delivery of the entry, or of every department
    resource it is built from (through the lineage)."""
    upstream: dict[str, list[str]] = {}
    for edge in cat.lineage:
        upstream.setdefault(edge["downstream_code"], []).append(edge["upstream_code"])
    seen, todo, latest = set(), [code], None
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        delivered = (cat.status.get(current) or {}).get("last_delivered_at")
        if delivered is not None and (latest is None or delivered > latest):
            latest = delivered
        todo += upstream.get(current, [])
    return latest


def publish(
    settings: Settings | None = None,
    *,
    dry_run: bool = False,
    only: list[str] | None = None,
    on_operation: Callable[[int, str], None] | None = None,
) -> SyncReport:
    """Sync every publishable catalogue entry (or ``only`` those) to CKAN; returns the report,
    also written under ``<lake>/publish/reports/``."""
    from govlake.catalogue.export import CatalogueMissing, connect_warehouse, read_catalogue
    from govlake.lake import Lake
    from govlake.publish.scan import Scanner
    from govlake.register import load_register

    settings = settings or get_settings()
    try:
        cat = read_catalogue(settings)
    except CatalogueMissing as exc:
        raise PublishError(str(exc)) from None
    register = load_register(settings.register_dir)
    selection = select(cat, only)

    target = resolve_target(settings, start=not dry_run)
    report = SyncReport.start(target.label if target else "local portal (not running)", dry_run)
    client = (
        Client(target, 0 if dry_run else settings.publish_retry_seconds, on_operation)
        if target
        else None
    )
    current: dict[str, dict[str, Any]] = {}
    reachable = client is not None
    if client is not None:
        from ckanapi import CKANAPIError

        try:
            current = managed_datasets(client, settings.publish_name_suffix)
        except Transient as exc:
            if not dry_run:
                raise PublishError(str(exc)) from None
            reachable = False
        except CKANAPIError as exc:  # a wrong token, a CKAN without the search it needs
            client.close()
            raise PublishError(
                f"{target.label} refused the publisher's search for its datasets: "
                f"{type(exc).__name__}: {exc} (is GOVLAKE_CKAN_TOKEN a sysadmin's token?)"
            ) from None
    if not reachable:
        report.notes.append("CKAN unreachable: every dataset planned as created")

    for refusal in selection.refused:
        report.add(
            DatasetOutcome(
                refusal.resource_code,
                refusal.resource_id,
                mapping.dataset_name(refusal.resource_code, settings.publish_name_suffix),
                refusal.name,
                "refused",
                detail=f"{refusal.rule}: {refusal.detail}",
            )
        )

    con = connect_warehouse(settings)
    scanner = Scanner(Lake(settings.lake_root), register)
    syncer = Syncer(client, settings, register.vocab) if client and not dry_run else None
    from ckanapi import NotAuthorized

    try:
        for candidate in selection.publish:
            _one(candidate, cat, con, scanner, syncer, client if reachable else None,
                 current, settings, report, dry_run)  # fmt: skip
        _withdraw(selection, only, current, syncer, settings, report, dry_run)
    except NotAuthorized as exc:  # not one dataset's problem: the token's (CKAN reads a token
        # it does not know as anonymous, so the first write is where it shows)
        raise PublishError(
            f"{report.target} refused {getattr(exc, 'action', 'a call')}: not authorised "
            "(GOVLAKE_CKAN_TOKEN must be a sysadmin's API token, or the local portal's)"
        ) from None
    finally:
        con.close()
        scanner.close()
        if client is not None:
            client.close()
    report.write(settings.lake_root)
    return report


def _one(
    c: Candidate,
    cat: Any,
    con: Any,
    scanner: Any,
    syncer: Syncer | None,
    client: Client | None,
    current: dict[str, dict[str, Any]],
    settings: Settings,
    report: SyncReport,
    dry_run: bool,
) -> None:
    name = mapping.dataset_name(c.code, settings.publish_name_suffix)
    r = c.resource
    outcome = DatasetOutcome(c.code, c.resource_id, name, r["name"], "unchanged",
                             organization=mapping.organization(r).name)  # fmt: skip
    try:
        cols = dataset_files.columns(con, c)
        dictionary = dataset_files.data_dictionary(name, c, cols, settings.publish_license)
        info = dataset_files.table_info(con, c, dictionary)
        metadata = mapping.dataset(
            c, info, name=name, vocab=syncer.vocab if syncer else _vocab(settings),
            license_id=settings.publish_license, base_uri=settings.catalogue_base_uri,
            last_updated=_last_updated(cat, c.code),
            datastore_limit=settings.publish_datastore_max_rows,
            name_suffix=settings.publish_name_suffix,
        )  # fmt: skip
        work = DatasetWork(c, name, info, metadata, dictionary, current.get(name))
        if work.current is None and client is not None and name not in current:
            from govlake.publish.sync import find_dataset

            work.current = find_dataset(client, name)  # private, deleted, or not indexed
        if work.fingerprint_matches and work.metadata_matches and _datastore_ok(work, settings):
            report.add(outcome)
            return
        dataset_files.check_dictionary(dictionary)
        table = dataset_files.read_table(con, c, cols)
        work.files = dataset_files.write_files(table, files_folder(settings, name), c, dictionary)
        hits = [h for f in work.files.values() for h in scanner.scan_file(f.path)]
        if hits:
            shown = "; ".join(str(h) for h in hits[:5])
            more = f" (and {len(hits) - 5} more)" if len(hits) > 5 else ""
            outcome.outcome = "refused"
            outcome.detail = f"personal data found, nothing uploaded: {shown}{more}"
            outcome.hits = [h.to_dict() for h in hits]
            report.add(outcome)
            return
        outcome.outcome = "created" if work.current is None else "updated"
        changed = work.changed_files()
        if dry_run or syncer is None:
            outcome.uploads = changed
            outcome.bytes = sum(work.files[k].size for k in changed)
            report.add(outcome)
            return
        _apply(syncer, work, outcome, table, settings)
        report.add(outcome)
    except PublishError as exc:
        outcome.outcome, outcome.detail = "failed", str(exc)
        report.add(outcome)
    except Exception as exc:  # ckanapi's typed errors outside a dataset's step (package_show)
        from ckanapi import CKANAPIError, NotAuthorized

        if not isinstance(exc, CKANAPIError) or isinstance(exc, NotAuthorized):
            raise
        outcome.outcome = "failed"
        outcome.detail = f"CKAN refused {getattr(exc, 'action', 'a call')}: {exc}"
        report.add(outcome)


def _apply(syncer: Syncer, work: DatasetWork, outcome: DatasetOutcome, table: Any,
           settings: Settings) -> None:  # fmt: skip
    """The dataset's step, started again from reading CKAN after a transient failure, while
    the retry budget lasts (a create is never repeated without looking first)."""
    deadline = time.monotonic() + settings.publish_retry_seconds
    wait = 1.0
    while True:
        outcome.uploads, outcome.bytes = [], 0
        try:
            syncer.sync_dataset(work, outcome, table)
            return
        except Transient:
            if time.monotonic() + wait > deadline:
                raise
            time.sleep(wait)
            wait = min(wait * 2, 8)
        except Exception as exc:  # ckanapi's ValidationError / NotFound: say which call
            from ckanapi import CKANAPIError, NotAuthorized

            if isinstance(exc, CKANAPIError) and not isinstance(exc, NotAuthorized):
                detail = getattr(exc, "error_dict", None) or getattr(exc, "extra_msg", None)
                action = getattr(exc, "action", "a call")
                raise PublishError(
                    f"CKAN refused {action} for {work.name}: {type(exc).__name__}: {detail}"
                ) from None
            raise


def _datastore_ok(work: DatasetWork, settings: Settings) -> bool:
    """The CSV's DataStore table holds the published file (or none is wanted)."""
    csv = work.current_resources().get("csv")
    if csv is None:
        return False
    if work.info.rows > settings.publish_datastore_max_rows:
        return not csv.get("datastore_active")
    return bool(csv.get("datastore_active")) and csv.get(mapping.DATASTORE_KEY) == csv.get(
        mapping.SHA_KEY
    )


def _vocab(settings: Settings) -> dict[str, dict[str, str]]:
    from govlake.register import load_register

    return load_register(settings.register_dir).vocab


def _withdraw(selection, only, current, syncer, settings, report, dry_run) -> None:
    """Managed datasets of this naming whose entry is no longer publishable."""
    publishable = selection.publishable_codes
    asked = None
    if only:
        asked = {r.resource_code for r in selection.refused} | set(selection.closed)
        asked |= publishable
    refused = {d.code: d for d in report.datasets if d.outcome == "refused" and not d.hits}
    for name, package in sorted(current.items()):
        code = mapping.extras(package).get("resource_code")
        if not code or name != mapping.dataset_name(code, settings.publish_name_suffix):
            continue
        if code in publishable or (asked is not None and code not in asked):
            continue
        if package.get("private") or package.get("state") != "active":
            continue  # withdrawn before
        how = "deleted" if settings.publish_withdraw == "delete" else "made private"
        if not dry_run and syncer is not None:
            try:
                how = syncer.withdraw(package)
            except PublishError as exc:
                failed = DatasetOutcome(code, "", name, package.get("title", ""), "failed")
                failed.detail = f"withdrawal failed: {exc}"
                report.add(failed)
                continue
        outcome = DatasetOutcome(code, "", name, package.get("title", ""), "withdrawn")
        why = "no longer open (开放属性) in the catalogue"
        if code in refused:
            why, outcome.resource_id = refused[code].detail, refused[code].resource_id
            report.datasets.remove(refused[code])
        outcome.detail = f"{how}: {why}"
        report.add(outcome)
