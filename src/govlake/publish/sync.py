"""Plan and apply: make CKAN show exactly the publishable catalogue entries (docs/publishing.md,
"Sync semantics").

Every step is find-or-create by stable names, so a run that dies part-way is finished by the
next one without duplicates:

- a dataset is found by its name (from the resource code), its files by ``govlake_file`` on
  each CKAN resource; an unchanged file (same sha256 as the resource's ``govlake_sha256``) is
  not uploaded again, a changed one replaces its resource in place (``resource_patch``; the
  dataset's metadata goes through ``package_patch`` — never ``package_update``, which drops
  the resources left out of its payload);
- a file's hash is recorded on its resource only after its upload answered, and the dataset's
  fingerprint (its table and dictionary as last published) only after everything else: a rerun
  after a crash re-checks what the crash may have left half done;
- a no-op re-sync costs one search plus a DuckDB fingerprint per dataset: files are written and
  hashed only for datasets whose fingerprint or metadata moved;
- a dataset that stops being publishable is made private or deleted (``publish_withdraw``);
- calls are retried with backoff on connection errors and 5xx answers; a create is never
  retried blindly: the dataset's step starts again from reading what exists.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govlake.publish import mapping
from govlake.publish.files import FILES_DIR, DatasetFile, TableInfo
from govlake.publish.report import DatasetOutcome, SyncReport
from govlake.publish.selection import Candidate, PublishError, Selection
from govlake.settings import Settings

USER_AGENT = "govlake-publisher (+docs/publishing.md)"
SEARCH_ROWS = 1000
DATASTORE_CHUNK = 5000
REQUEST_TIMEOUT = (5, 120)  # connect, read (seconds)


class Transient(PublishError):
    """CKAN did not answer, or answered 5xx, for longer than the retry budget."""


# ---------------------------------------------------------------------------------------------
# Target and client


@dataclass(frozen=True)
class Target:
    url: str
    token: str = field(repr=False)
    label: str  # what the report and the CLI show (never the token)
    admin: tuple[str, str] | None = field(default=None, repr=False)  # local portal's login


def resolve_target(settings: Settings, *, start: bool = True) -> Target | None:
    """``GOVLAKE_CKAN_URL`` + ``GOVLAKE_CKAN_TOKEN`` → that CKAN; no URL → the local portal
    (started unless ``start`` is False; then None when it is not running)."""
    url = settings.ckan_url
    token = settings.ckan_token.get_secret_value() if settings.ckan_token else None
    if url:
        if not token:
            raise PublishError(
                f"GOVLAKE_CKAN_URL is set ({url}) but GOVLAKE_CKAN_TOKEN is not: the publisher "
                "needs an API token of a sysadmin (or an editor of every organization)"
            )
        return Target(url.rstrip("/"), token, f"CKAN at {url.rstrip('/')}")
    from govlake.publish.portal import Portal, PortalError

    portal = Portal.from_settings(settings)
    try:
        if not start:
            status = portal.status()
            if not getattr(status, "running", False):
                return None
        info = portal.start()
    except PortalError as exc:
        raise PublishError(f"the local CKAN portal did not start: {exc}") from None
    return Target(
        info.url.rstrip("/"),
        info.api_token,
        f"local portal {info.url.rstrip('/')}",
        (info.admin_user, info.admin_password),
    )


class Client:
    """ckanapi's RemoteCKAN with retries and an operation counter (and a hook the tests use to
    stop CKAN after N writes)."""

    def __init__(
        self,
        target: Target,
        retry_seconds: float,
        on_operation: Callable[[int, str], None] | None = None,
    ) -> None:
        import requests
        from ckanapi import RemoteCKAN

        self.target = target
        self.retry_seconds = retry_seconds
        self.on_operation = on_operation
        self.writes = 0
        self.calls = 0
        self._transient = (requests.ConnectionError, requests.Timeout)
        client = self

        class _Remote(RemoteCKAN):
            def _request_fn(self, url, data, headers, files, requests_kwargs):
                status, text = super()._request_fn(url, data, headers, files, requests_kwargs)
                client.calls += 1
                if status >= 500:
                    raise _ServerError(f"HTTP {status} from {url}")
                return status, text

        self._ckan = _Remote(target.url, apikey=target.token, user_agent=USER_AGENT)

    def close(self) -> None:
        self._ckan.close()

    def call(
        self,
        action: str,
        data: dict[str, Any] | None = None,
        *,
        upload: Path | None = None,
        retry: bool = True,
        write: bool = False,
    ) -> Any:
        """One action; retried with backoff while the budget lasts when ``retry`` (reads and
        patches: doing them twice is harmless)."""
        deadline = time.monotonic() + self.retry_seconds
        wait = 0.5
        while True:
            try:
                if upload is not None:
                    with open(upload, "rb") as fh:
                        result = self._ckan.call_action(
                            action, data, files={"upload": (upload.name, fh)},
                            requests_kwargs={"timeout": REQUEST_TIMEOUT},
                        )  # fmt: skip
                else:
                    result = self._ckan.call_action(
                        action, data, requests_kwargs={"timeout": REQUEST_TIMEOUT}
                    )
            except (*self._transient, _ServerError) as exc:
                if not retry or time.monotonic() + wait > deadline:
                    raise Transient(
                        f"CKAN at {self.target.url} did not complete {action}: "
                        f"{type(exc).__name__}: {_short(exc)}"
                    ) from None
                time.sleep(wait)
                wait = min(wait * 2, 8)
                continue
            except Exception as exc:  # ckanapi's typed errors: remember which call it was
                exc.action = action  # type: ignore[attr-defined]
                raise
            if write:
                self.writes += 1
                if self.on_operation is not None:
                    self.on_operation(self.writes, action)
            return result


class _ServerError(Exception):
    pass


def _short(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) < 300 else text[:300] + "…"


# ---------------------------------------------------------------------------------------------
# Reading what CKAN has


def managed_datasets(client: Client, suffix: str = "") -> dict[str, dict[str, Any]]:
    """Every dataset this naming of the publisher manages (public or private), by name: one
    search (paged by 1000)."""
    marker = mapping.managed_value(suffix)
    out: dict[str, dict[str, Any]] = {}
    start = 0
    while True:
        result = client.call(
            "package_search",
            {
                "q": "*:*",
                "fq": f'+extras_{mapping.MANAGED_KEY}:"{marker}"',
                "rows": SEARCH_ROWS,
                "start": start,
                "include_private": True,
                "include_drafts": True,
            },
        )
        for package in result["results"]:
            if mapping.extras(package).get(mapping.MANAGED_KEY) == marker:
                out[package["name"]] = package
        start += SEARCH_ROWS
        if start >= result["count"] or not result["results"]:
            return out


def find_dataset(client: Client, name: str) -> dict[str, Any] | None:
    from ckanapi import NotFound

    try:
        return client.call("package_show", {"id": name})
    except NotFound:
        return None


# ---------------------------------------------------------------------------------------------
# The plan of one dataset


@dataclass
class DatasetWork:
    """One publishable entry: what CKAN should show, what it shows, what differs."""

    candidate: Candidate
    name: str
    info: TableInfo
    metadata: dict[str, Any]
    dictionary: dict[str, Any]
    current: dict[str, Any] | None = None
    files: dict[str, DatasetFile] = field(default_factory=dict)

    @property
    def fingerprint_matches(self) -> bool:
        if self.current is None:
            return False
        return mapping.extras(self.current).get(mapping.FINGERPRINT_KEY) == self.info.fingerprint

    @property
    def metadata_matches(self) -> bool:
        if self.current is None:
            return False
        want = mapping.extras(self.metadata)[mapping.METADATA_KEY]
        return (
            mapping.extras(self.current).get(mapping.METADATA_KEY) == want
            and not self.current.get("private")
            and self.current.get("state", "active") == "active"
        )

    def current_resources(self) -> dict[str, dict[str, Any]]:
        """file key → CKAN resource (the first one when a crash left two)."""
        out: dict[str, dict[str, Any]] = {}
        for r in (self.current or {}).get("resources") or []:
            key = r.get(mapping.FILE_KEY)
            if key and key not in out:
                out[key] = r
        return out

    def changed_files(self) -> list[str]:
        have = self.current_resources()
        return [
            key
            for key in mapping.FILE_ORDER
            if key in self.files
            and (have.get(key) or {}).get(mapping.SHA_KEY) != self.files[key].sha256
        ]


# ---------------------------------------------------------------------------------------------
# Applying


class Syncer:
    """Applies the plan of each dataset to one CKAN."""

    def __init__(self, client: Client, settings: Settings, vocab: dict[str, dict[str, str]]):
        self.client = client
        self.settings = settings
        self.vocab = vocab
        self._orgs: set[str] = set()
        self._groups: set[str] = set()

    def ensure_organization(self, org: mapping.Organization) -> None:
        from ckanapi import NotFound, ValidationError

        if org.name in self._orgs:
            return
        try:
            have = self.client.call("organization_show", {"id": org.name})
        except NotFound:
            try:
                self.client.call("organization_create", org.to_dict(), retry=False, write=True)
            except ValidationError:  # a create that reached CKAN before a crash
                self.client.call("organization_show", {"id": org.name})
        else:
            if have.get("title") != org.title or have.get("description") != org.description:
                self.client.call(
                    "organization_patch", {"id": org.name, **org.to_dict()}, write=True
                )
        self._orgs.add(org.name)

    def ensure_group(self, group: mapping.Group) -> None:
        from ckanapi import NotFound, ValidationError

        if group.name in self._groups:
            return
        try:
            have = self.client.call("group_show", {"id": group.name})
        except NotFound:
            try:
                self.client.call("group_create", group.to_dict(), retry=False, write=True)
            except ValidationError:
                self.client.call("group_show", {"id": group.name})
        else:
            if have.get("title") != group.title or have.get("description") != group.description:
                self.client.call("group_patch", {"id": group.name, **group.to_dict()}, write=True)
        self._groups.add(group.name)

    def sync_dataset(self, work: DatasetWork, outcome: DatasetOutcome, table: Any) -> None:
        """Bring one dataset to its plan; safe to run again after any failure."""
        from ckanapi import ValidationError

        c = work.candidate
        self.ensure_organization(mapping.organization(c.resource))
        for g in mapping.groups(c.resource, self.vocab):
            self.ensure_group(g)
        work.current = find_dataset(self.client, work.name)
        base = {k: v for k, v in work.metadata.items() if k != "extras"}
        if work.current is None:
            try:
                work.current = self.client.call(
                    "package_create",
                    {**base, "extras": work.metadata["extras"]},
                    retry=False,
                    write=True,
                )
            except ValidationError:  # created by a run that died before it heard back
                work.current = find_dataset(self.client, work.name)
                if work.current is None:
                    raise
        elif work.current.get("state") != "active" or work.current.get("private"):
            work.current = self.client.call(
                "package_patch",
                {"id": work.current["id"], "state": "active", "private": False},
                write=True,
            )
        package_id = work.current["id"]
        have = work.current_resources()
        for key in work.changed_files():
            f = work.files[key]
            fields = mapping.resource_fields(c, f)
            existing = have.get(key)
            if existing is None:
                created = self.client.call(
                    "resource_create",
                    {"package_id": package_id, **fields, mapping.SHA_KEY: ""},
                    upload=f.path,
                    retry=False,
                    write=True,
                )
                rid = created["id"]
            else:
                rid = existing["id"]
                self.client.call(
                    "resource_patch",
                    {"id": rid, **fields, mapping.SHA_KEY: ""},
                    upload=f.path,
                    write=True,
                )
            # the hash is the proof the upload is complete: recorded only after it answered
            self.client.call("resource_patch", {"id": rid, mapping.SHA_KEY: f.sha256}, write=True)
            outcome.uploads.append(key)
            outcome.bytes += f.size
        work.current = self.client.call("package_show", {"id": package_id})
        self.sync_datastore(work, outcome, table)
        extras = [*work.metadata["extras"]]
        extras.append({"key": mapping.FINGERPRINT_KEY, "value": work.info.fingerprint})
        self.client.call(
            "package_patch",
            {"id": package_id, **base, "private": False, "extras": extras},
            write=True,
        )

    def sync_datastore(self, work: DatasetWork, outcome: DatasetOutcome, table: Any) -> None:
        """The CSV's rows in the DataStore (labels as its data dictionary) with its preview
        view; or, above the size limit, no DataStore table at all."""
        from ckanapi import NotFound

        csv = work.current_resources().get("csv")
        if csv is None:
            raise PublishError(f"{work.name}: no CSV resource after upload")
        limit = self.settings.publish_datastore_max_rows
        if work.info.rows > limit:
            if csv.get("datastore_active"):
                with contextlib.suppress(NotFound):
                    self.client.call(
                        "datastore_delete", {"resource_id": csv["id"], "force": True}, write=True
                    )
                self.client.call(
                    "resource_patch", {"id": csv["id"], mapping.DATASTORE_KEY: ""}, write=True
                )
            return
        sha = work.files["csv"].sha256 if "csv" in work.files else csv.get(mapping.SHA_KEY)
        if csv.get("datastore_active") and csv.get(mapping.DATASTORE_KEY) == sha:
            return
        if table is None:
            raise PublishError(f"{work.name}: the DataStore needs the table (internal error)")
        with contextlib.suppress(NotFound):
            self.client.call(
                "datastore_delete", {"resource_id": csv["id"], "force": True}, write=True
            )
        keys = [col.name for col in work.info.columns if col.is_key]
        self.client.call(
            "datastore_create",
            {
                "resource_id": csv["id"],
                "force": True,
                "fields": mapping.datastore_fields(work.info),
                **({"primary_key": keys} if keys else {}),
            },
            write=True,
        )
        records = json.loads(json.dumps(table.to_pylist(), default=_datastore_value))
        for start in range(0, len(records), DATASTORE_CHUNK):
            self.client.call(
                "datastore_upsert",
                {
                    "resource_id": csv["id"],
                    "force": True,
                    "method": "upsert" if keys else "insert",
                    "records": records[start : start + DATASTORE_CHUNK],
                },
                write=True,
            )
        # the view plugins decide from the resource as it is now (datastore_active)
        fresh = self.client.call("resource_show", {"id": csv["id"]})
        self.client.call(
            "resource_create_default_resource_views",
            {"resource": fresh, "create_datastore_views": True},
            write=True,
        )
        self.client.call(
            "resource_patch", {"id": csv["id"], mapping.DATASTORE_KEY: sha}, write=True
        )
        outcome.datastore_rows = len(records)

    def withdraw(self, package: dict[str, Any]) -> str:
        """Private (default) or deleted; returns what was done."""
        if self.settings.publish_withdraw == "delete":
            self.client.call("package_delete", {"id": package["id"]}, write=True)
            return "deleted"
        self.client.call("package_patch", {"id": package["id"], "private": True}, write=True)
        return "made private"


def _datastore_value(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value)  # Decimal: exact text, PostgreSQL casts it


def selection_summary(selection: Selection) -> str:
    return (
        f"{len(selection.publish)} publishable, {len(selection.refused)} refused, "
        f"{len(selection.closed)} not open"
    )


def files_folder(settings: Settings, name: str) -> Path:
    return settings.lake_root / FILES_DIR / name


__all__ = [
    "Client",
    "DatasetWork",
    "SyncReport",
    "Syncer",
    "Target",
    "Transient",
    "find_dataset",
    "managed_datasets",
    "resolve_target",
]
