"""Deliveries: each active grant's batches not yet delivered → the grantee's outbox, with a receipt.

``<lake>/exchange/<grantee>/<resource>/<batch>.parquet`` (and ``.csv``, UTF-8 with BOM, when the
grant asks for it) holds exactly the granted columns of the granted rows of one batch:

- a department resource's batch is one accepted part (``accepted/<resource>/batch_date=…/
  part-<batch>.parquet`` minus its deletion vector), its 信息项 as the department delivered them;
- a derived resource (基础库, 主题库, open product) is delivered as a snapshot of its warehouse
  table, named ``<date>-<hash>`` after the accepted files of the department resources it is built
  from (``_govlake.build_state`` of the warehouse, the catalogue's lineage): a new upstream batch
  makes a new snapshot once the build has taken it in, and only then.

Identifiers: a citizen ID or phone granted in clear is delivered normalised; otherwise as
``<name>_key`` = HMAC(grantee key, the lake's pseudonym), and a derived model's pseudonym column
(``meta.pseudonym``) is re-keyed the same way. The grantee key is HMAC(lake key, grantee code),
so one grantee's keys join across its own deliveries but never with another grantee's.

Each file is written aside and renamed (``lake.atomic_path``), then the receipt goes to the log;
a batch is delivered to a department once (the receipts say which were). A run killed before
the receipt rewrites the same file next time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from govlake.exchange import log
from govlake.exchange.rules import Column, Rules, Shareable
from govlake.exchange.state import Grant, State, read_state
from govlake.lake import Lake, atomic_path, read_accepted
from govlake.settings import Settings, get_settings


@dataclass
class Batch:
    id: str
    date: str | None


@dataclass
class DeliveryReport:
    """What a run delivered and why other grants delivered nothing."""

    on: str
    delivered: list[dict[str, Any]] = field(default_factory=list)
    inactive: dict[str, str] = field(default_factory=dict)  # grant → expired / revoked / …
    retracted: list[dict[str, Any]] = field(default_factory=list)  # notices of superseded batches
    problems: list[str] = field(default_factory=list)
    demands_closed: list[list[str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def grantee_key(lake_key: bytes, grantee: str) -> bytes:
    """The grantee's own pseudonym key: nobody else's deliveries use it."""
    return hmac.new(lake_key, b"govlake-exchange-grantee:" + grantee.encode(), "sha256").digest()


def rekey(values: pa.Array | pa.ChunkedArray, key: bytes) -> pa.Array:
    """HMAC(key, value) as hex for each present value (the lake pseudonym → the grantee's)."""
    from govlake.ingest.pseudonym import hmac_hex

    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    return hmac_hex(values.cast(pa.string()), key)


def outbox_file(lake: Lake, grantee: str, resource: str, batch: str, suffix: str) -> Path:
    return lake.exchange(grantee) / resource / f"{batch}.{suffix}"


# --- batches ----------------------------------------------------------------------------------


def superseded_batches(lake: Lake, resource: str) -> dict[str, dict[str, Any]]:
    """Batch id → manifest entry of each version the manifest marks superseded (its rows were
    retracted from accepted; the version that replaced it is a batch of its own)."""
    from govlake.ingest import read_manifest

    return {
        e["batch_id"]: e
        for e in read_manifest(resource, lake=lake)
        if e.get("status") == "superseded" and e.get("batch_id")
    }


def department_batches(
    lake: Lake, resource: str, superseded: set[str] | None = None
) -> list[Batch]:
    """The resource's accepted parts, oldest first, except superseded versions."""
    if superseded is None:
        superseded = set(superseded_batches(lake, resource))
    found = []  # batch_date=*/part-*.parquet, by os.scandir: the read API checks it per call
    for folder in _entries(str(lake.accepted(resource))):
        if not (folder.name.startswith("batch_date=") and folder.is_dir()):
            continue
        day = folder.name.removeprefix("batch_date=")
        for part in _entries(folder.path):
            name = part.name
            if name.startswith("part-") and name.endswith(".parquet"):
                batch_id = name[: -len(".parquet")].removeprefix("part-")
                if batch_id not in superseded:
                    found.append((day, part.stat().st_mtime_ns, batch_id))
    return [Batch(batch_id, day) for day, _, batch_id in sorted(found)]


def _entries(path: str) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(path) as it:
            return list(it)
    except (FileNotFoundError, NotADirectoryError):
        return []


def _upstream_departments(rules: Rules, con: Any) -> dict[str, set[str]]:
    """Derived resource → the department resources it is built from (lineage, transitively)."""
    by_code = {r.code: r for r in rules.resources.values()}
    ups: dict[str, set[str]] = {}
    for up, down in con.execute(
        "select upstream_code, downstream_code from catalogue.catalogue_lineage"
    ).fetchall():
        ups.setdefault(down, set()).add(up)
    out: dict[str, set[str]] = {}
    for r in rules.resources.values():
        if r.layer == "department":
            continue
        found, todo, seen = set(), [r.code], set()
        while todo:
            code = todo.pop()
            for up in ups.get(code, ()):
                if up in seen:
                    continue
                seen.add(up)
                if up in by_code and by_code[up].layer == "department":
                    found.add(by_code[up].id)
                else:
                    todo.append(up)
        out[r.id] = found
    return out


def snapshot_batch(files: dict[str, list[int]], sources: set[str]) -> Batch | None:
    """The snapshot a derived table is as of: its sources' accepted files in the build."""
    mine = {
        path: files[path]
        for path in sorted(files)
        if any(path.startswith(f"accepted/{s}/") for s in sources)
    }
    if not mine:
        return None
    dates = [p.split("batch_date=", 1)[1].split("/", 1)[0] for p in mine if "batch_date=" in p]
    digest = hashlib.sha256(json.dumps(mine, sort_keys=True).encode()).hexdigest()[:12]
    day = max(dates) if dates else "snapshot"
    return Batch(f"{day}-{digest}", day if dates else None)


# --- scoping ----------------------------------------------------------------------------------


def quote_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def relation_sql(relation: str) -> str:
    return ".".join(quote_name(p) for p in relation.split("."))


def where_sql(grant: Grant, columns: dict[str, tuple[str, str]]) -> tuple[str, list[Any]]:
    """SQL condition over ``columns`` (condition column → (SQL expression, kind)), parameters.

    Column names were checked against the resource when the grant was made; values are bound.
    """
    from govlake.formats import DATE_FORMATS

    parts, params = [], []
    formats = "[" + ", ".join("'" + f + "'" for f in DATE_FORMATS) + "]"
    for cond in grant.rows:
        expr, kind = columns[cond["column"]]
        if kind == "number":
            expr = f"try_cast({expr} as double)"
        elif kind == "date":
            expr = f"try_strptime(cast({expr} as varchar), {formats})::date"
        else:
            expr = f"cast({expr} as varchar)"
        values = cond["value"] if cond["op"] == "in" else [cond["value"]]
        if kind == "date":
            values = [dt.date.fromisoformat(str(v)) for v in values]
        elif kind == "text":
            values = [str(v) for v in values]
        if cond["op"] == "in":
            parts.append(f"{expr} in ({', '.join('?' for _ in values)})")
        else:
            parts.append(f"{expr} {cond['op']} ?")
        params += values
    return (" and ".join(parts) or "true"), params


def scoped_department_batch(
    lake: Lake, res: Shareable, grant: Grant, batch: Batch, key: bytes
) -> pa.Table:
    """The grant's columns and rows of one accepted batch."""
    import duckdb

    from govlake.ingest.pseudonym import normalise_array

    table = read_accepted(lake, res.id, batch.id)
    if table is None:
        return pa.table({})
    exprs: dict[str, tuple[str, str]] = {}
    extra = {}
    for n, cond in enumerate(grant.rows):
        name = cond["column"]
        if name not in exprs:
            values = table[name].combine_chunks().cast(pa.string())
            extra[f"__c{n}"] = pc.utf8_trim_whitespace(pc.utf8_normalize(values, "NFKC"))
            exprs[name] = (f"__c{n}", res.column_map[name].kind)
    for col, values in extra.items():
        table = table.append_column(col, values)
    where, params = where_sql(grant, exprs)
    con = duckdb.connect()
    try:
        con.register("batch", table)
        picked = con.execute(
            f"select * from batch where {where} order by _source_row", params
        ).fetch_arrow_table()
    finally:
        con.close()
    return project(res, grant, picked, key, normalise_array)


def scoped_derived(con: Any, res: Shareable, grant: Grant, key: bytes) -> pa.Table:
    """The grant's columns and rows of a derived table, from the warehouse."""
    exprs = {
        c["column"]: (quote_name(c["column"]), res.column_map[c["column"]].kind) for c in grant.rows
    }
    where, params = where_sql(grant, exprs)
    names = ", ".join(quote_name(c) for c in grant.columns)
    table = con.execute(
        f"select {names} from {relation_sql(res.relation or '')} where {where}", params
    ).fetch_arrow_table()
    return project(res, grant, table, key, None)


def project(res: Shareable, grant: Grant, table: pa.Table, key: bytes, normalise: Any) -> pa.Table:
    """Only the granted columns, identifiers in clear or as the grantee's pseudonym."""
    arrays, names = [], []
    for name in grant.columns:
        column: Column = res.column_map[name]
        if column.identifier:
            if name in grant.clear:
                arrays.append(normalise(table[name].combine_chunks().cast(pa.string())))
                names.append(name)
            else:
                arrays.append(rekey(table[f"{name}_key"], key))
                names.append(f"{name}_key")
        elif column.pseudonym:
            arrays.append(rekey(table[name], key))
            names.append(name)
        else:
            values = table[name]
            arrays.append(
                values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
            )
            names.append(name)
    return pa.Table.from_arrays(arrays, names=names)


# --- writing ----------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_delivery(lake: Lake, grant: Grant, batch: Batch, table: pa.Table) -> list[dict[str, Any]]:
    """Parquet (and CSV) into the outbox, each written aside and renamed."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    out = []
    target = outbox_file(lake, grant.grantee, grant.resource, batch.id, "parquet")
    with atomic_path(target) as tmp:
        pq.write_table(table, tmp)
    out.append(target)
    if grant.csv:
        target = outbox_file(lake, grant.grantee, grant.resource, batch.id, "csv")
        with atomic_path(target) as tmp, tmp.open("wb") as fh:
            fh.write("\ufeff".encode())
            pacsv.write_csv(table, fh)
        out.append(target)
    return [
        {
            "path": p.relative_to(lake.root).as_posix(),
            "sha256": _sha256(p),
            "bytes": p.stat().st_size,
        }
        for p in out
    ]


# --- the run ----------------------------------------------------------------------------------


def deliver(
    rules: Rules,
    *,
    on: dt.date | None = None,
    settings: Settings | None = None,
) -> DeliveryReport:
    """Deliver every active grant's new batches; one run at a time (the log's lock)."""
    from govlake.exchange.state import today

    settings = settings or get_settings()
    lake = Lake(settings.lake_root)
    on = on or today()
    report = DeliveryReport(on.isoformat())
    lake_key = settings.pseudonym_key()
    with log.locked(lake, timeout=settings.ingest_lock_timeout):
        state = read_state(lake)
        warehouse = _Warehouse(rules, settings)
        try:
            for g in sorted(state.grants.values(), key=lambda g: g.id):
                status = g.status(on)
                if status != "active":
                    report.inactive[g.id] = status
                    continue
                try:
                    _deliver_grant(lake, rules, state, g, warehouse, lake_key, report)
                except Exception as exc:  # one grant's failure must not stop the others
                    report.problems.append(
                        f"grant {g.id} ({g.grantee} ← {g.resource}): {type(exc).__name__}: {exc}"
                    )
        finally:
            warehouse.close()
    return report


def _notify_retractions(
    lake: Lake,
    g: Grant,
    res: Shareable,
    state: State,
    superseded: dict[str, dict[str, Any]],
    report: DeliveryReport,
) -> None:
    """A batch the department received whose version was since superseded: the lake retracted
    its rows, so the grantee gets ``<batch>.retracted.json`` beside it (once) saying which
    batch replaces it, and the log a ``retraction`` entry."""
    told = {(e["grantee"], e["resource"], e["batch"]) for e in state.retractions}
    delivered = state.delivered()
    for batch_id, entry in sorted(superseded.items()):
        key = (g.grantee, res.id, batch_id)
        if key not in delivered or key in told:
            continue
        by = (entry.get("superseded_by") or {}).get("batch_id")
        notice = {
            "batch": batch_id, "resource": res.id, "retracted": True,
            "replaced_by": by, "reason": entry.get("reason"),
        }  # fmt: skip
        target = outbox_file(lake, g.grantee, res.id, batch_id, "retracted.json")
        with atomic_path(target) as tmp:
            tmp.write_text(json.dumps(notice, ensure_ascii=False, indent=1), encoding="utf-8")
        state.retractions.append(
            log.append(
                lake,
                "retraction",
                "system",
                by="govlake",
                grant=g.id,
                grantee=g.grantee,
                resource=res.id,
                code=res.code,
                batch=batch_id,
                replaced_by=by,
                reason=entry.get("reason"),
                file=target.relative_to(lake.root).as_posix(),
            )
        )
        report.retracted.append({"grantee": g.grantee, "resource": res.id, "batch": batch_id})


class _Warehouse:
    """The analysts' warehouse, opened on first need: derived tables and the build's inputs."""

    def __init__(self, rules: Rules, settings: Settings) -> None:
        self.rules, self.settings = rules, settings
        self.con: Any = None
        self.snapshots: dict[str, Batch | None] = {}

    def open(self) -> Any:
        if self.con is None:
            from govlake.transform.query import connect_analyst

            self.con = connect_analyst(self.settings)
            rows = self.con.execute("select files from _govlake.build_state").fetchall()
            files = json.loads(rows[0][0]) if rows else {}
            for rid, sources in _upstream_departments(self.rules, self.con).items():
                self.snapshots[rid] = snapshot_batch(files, sources)
        return self.con

    def close(self) -> None:
        if self.con is not None:
            self.con.close()


def _deliver_grant(
    lake: Lake,
    rules: Rules,
    state: State,
    g: Grant,
    warehouse: _Warehouse,
    lake_key: bytes,
    report: DeliveryReport,
) -> None:
    res = rules.resources.get(g.resource)
    if res is None:
        report.problems.append(f"grant {g.id}: resource {g.resource} is no longer in the register")
        return
    if res.refusal:  # never, whatever was granted
        report.problems.append(f"grant {g.id} not delivered: {res.refusal}")
        return
    gone = [c for c in g.columns if c not in res.column_map]
    if gone:
        report.problems.append(
            f"grant {g.id} not delivered: {res.id} no longer has column(s) {', '.join(gone)}"
        )
        return
    delivered = state.delivered()
    key = grantee_key(lake_key, g.grantee)
    if res.layer == "department":
        superseded = superseded_batches(lake, res.id)
        _notify_retractions(lake, g, res, state, superseded, report)
        batches = department_batches(lake, res.id, set(superseded))
    else:
        warehouse.open()
        snapshot = warehouse.snapshots.get(res.id)
        batches = [snapshot] if snapshot else []
    outbox = lake.exchange(g.grantee) / res.id
    for leftover in outbox.glob(".tmp-*.partial"):  # of a delivery killed mid-write
        leftover.unlink(missing_ok=True)
    for batch in batches:
        if (g.grantee, res.id, batch.id) in delivered:
            continue
        if res.layer == "department":
            table = scoped_department_batch(lake, res, g, batch, key)
        else:
            table = scoped_derived(warehouse.con, res, g, key)
        files = write_delivery(lake, g, batch, table)
        receipt = log.append(
            lake, "delivery", "system", by="govlake", grant=g.id, grantee=g.grantee,
            resource=res.id, code=res.code, batch=batch.id, batch_date=batch.date,
            rows=table.num_rows, columns=table.column_names, sha256=files[0]["sha256"],
            files=files,
        )  # fmt: skip
        state.deliveries.append(receipt)
        report.delivered.append(
            {
                "grant": g.id,
                "grantee": g.grantee,
                "resource": res.id,
                "batch": batch.id,
                "rows": table.num_rows,
            }
        )
