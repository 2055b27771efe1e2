"""``govlake exchange`` (共享交换: subscriptions, requests, grants, demands, deliveries, audit
log, API tokens) and ``govlake api`` (the exchange's read API)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from govlake.cli.output import console, fail

app = typer.Typer(
    help="The shared exchange (共享交换): subscriptions, requests, grants, demands, deliveries, "
    "audit log (docs/exchange.md).",
    no_args_is_help=True,
)
AsDept = Annotated[str, typer.Option("--as", help="the department acting (register id)")]
Columns = Annotated[
    str | None, typer.Option(help="信息项 names or labels, comma-separated (default: all shared)")
]
Rows = Annotated[
    list[str] | None,
    typer.Option("--rows", help="row condition, e.g. 'age >= 60', 'street_code in (110107001)'"),
]


def open_exchange():
    """The exchange on the configured lake and register; errors become clear messages."""
    from govlake.exchange import Exchange, load_rules
    from govlake.lake import Lake
    from govlake.register import RegisterError

    try:
        return Exchange(load_rules(), Lake.default())
    except RegisterError as exc:
        fail(str(exc))


def exchange_call(fn, *args, **kwargs):
    from govlake.exchange import ExchangeError
    from govlake.exchange.log import LogCorrupt
    from govlake.ingest.lock import ResourceBusy

    try:
        return fn(*args, **kwargs)
    except (ExchangeError, LogCorrupt, ResourceBusy) as exc:
        fail(str(exc))


def _split(text: str | None) -> list[str] | None:
    return [c.strip() for c in text.split(",") if c.strip()] if text else None


def _conditions(rows: list[str] | None) -> list[dict]:
    from govlake.exchange.rules import parse_condition

    return [exchange_call(parse_condition, r) for r in rows or []]


@app.command("subscribe")
def exchange_subscribe(
    resource: Annotated[str, typer.Argument(help="resource id or code (无条件共享)")],
    dept: AsDept,
    columns: Columns = None,
    rows: Rows = None,
    csv: Annotated[bool, typer.Option(help="deliver a CSV beside each Parquet file")] = False,
    until: Annotated[str | None, typer.Option(help="end of the period YYYY-MM-DD")] = None,
) -> None:
    """Subscribe to an unconditionally shared (无条件共享) resource: granted at once."""
    ex = open_exchange()
    g = exchange_call(
        ex.subscribe, dept, resource, columns=_split(columns), rows=_conditions(rows), csv=csv,
        until=until,
    )  # fmt: skip
    console.print(
        f"grant {g.id}: {g.grantee} ← {g.resource} ({', '.join(g.columns)}; {g.rows_text})"
    )


@app.command("request")
def exchange_request(
    resource: Annotated[str, typer.Argument(help="resource id or code")],
    dept: AsDept,
    purpose: Annotated[str, typer.Option(help="what the data is for")],
    basis: Annotated[str, typer.Option(help="legal basis id (catalog/exchange/legal_bases.yml)")],
    until: Annotated[str, typer.Option(help="end of the period YYYY-MM-DD")],
    start: Annotated[str | None, typer.Option("--from", help="start (default today)")] = None,
    columns: Columns = None,
    rows: Rows = None,
    csv: Annotated[bool, typer.Option(help="deliver a CSV beside each Parquet file")] = False,
) -> None:
    """Request a resource (有条件共享): the providing department approves or rejects it."""
    ex = open_exchange()
    r = exchange_call(
        ex.request, dept, resource, purpose=purpose, legal_basis=basis, until=until,
        start=start, columns=_split(columns), rows=_conditions(rows), csv=csv,
    )  # fmt: skip
    console.print(f"request {r.id}: {r.requester} → {r.provider} for {r.resource}, pending")


@app.command("approve")
def exchange_approve(
    request: Annotated[str, typer.Argument(help="request id, e.g. REQ-0001")],
    dept: AsDept,
    columns: Columns = None,
    reason: Annotated[str | None, typer.Option(help="why (recorded)")] = None,
) -> None:
    """The provider approves a request (optionally granting fewer columns)."""
    ex = open_exchange()
    g = exchange_call(ex.approve, request, dept, columns=_split(columns), reason=reason)
    console.print(f"request {request} approved: grant {g.id} ({', '.join(g.columns)})")


@app.command("reject")
def exchange_reject(
    request: Annotated[str, typer.Argument(help="request id")],
    dept: AsDept,
    reason: Annotated[str, typer.Option(help="why (recorded, shown to the requester)")],
) -> None:
    """The provider rejects a request, with its reason."""
    exchange_call(open_exchange().reject, request, dept, reason=reason)
    console.print(f"request {request} rejected")


@app.command("revoke")
def exchange_revoke(
    grant: Annotated[str, typer.Argument(help="grant id, e.g. GR-0001")],
    dept: AsDept,
    reason: Annotated[str, typer.Option(help="why (recorded)")],
) -> None:
    """End a grant (provider, or the grantee giving it up): no further deliveries."""
    exchange_call(open_exchange().revoke, grant, dept, reason=reason)
    console.print(f"grant {grant} revoked")


@app.command("demand")
def exchange_demand(
    dept: AsDept,
    what: Annotated[str | None, typer.Option(help="the data needed")] = None,
    why: Annotated[str | None, typer.Option(help="what it is needed for")] = None,
    holder: Annotated[str | None, typer.Option(help="department thought to hold it")] = None,
    wants: Annotated[
        str | None, typer.Option(help="信息项 needed, comma-separated (matched automatically)")
    ] = None,
    close: Annotated[str | None, typer.Option(help="close this demand (供需对接)")] = None,
    resource: Annotated[
        str | None, typer.Option(help="with --close: the resource meeting it")
    ] = None,
) -> None:
    """Add a demand to the demand list (需求清单), or close one a resource meets."""
    ex = open_exchange()
    if close:
        if not resource:
            fail("--close needs --resource (the registered resource that meets the demand)")
        exchange_call(ex.close_demand, close, resource, dept)
        console.print(f"demand {close} closed: met by {resource}")
        return
    if not what or not why:
        fail("a demand needs --what and --why")
    d = exchange_call(ex.demand, dept, what=what, why=why, holder=holder, wants=_split(wants))
    console.print(f"demand {d.id} recorded for {d.department}: {d.what}")


@app.command("list")
def exchange_list(
    what: Annotated[
        str, typer.Argument(help="requests | grants | demands | deliveries | refusals")
    ] = "grants",
    department: Annotated[
        str | None, typer.Option(help="only what concerns this department")
    ] = None,
) -> None:
    """Show the exchange's current state (folded from the log)."""
    from govlake.exchange.state import today

    ex = open_exchange()
    state = exchange_call(ex.state)
    d = department

    def mine(*depts: str) -> bool:
        return d is None or d in depts

    if what == "requests":
        table = Table("id", "requester", "resource", "provider", "status", "columns", "rows",
                      "basis", "period", "reason", title="requests")  # fmt: skip
        for r in state.requests.values():
            if mine(r.requester, r.provider):
                table.add_row(r.id, r.requester, r.resource, r.provider, r.status,
                              ", ".join(r.columns), _rows_text(r.rows), r.legal_basis,
                              f"{r.valid_from}..{r.valid_until}", r.reason or "")  # fmt: skip
    elif what == "grants":
        on = today()
        table = Table("id", "grantee", "resource", "provider", "status", "columns", "rows",
                      "period", "source", title=f"grants (status on {on})")  # fmt: skip
        for g in state.grants.values():
            if mine(g.grantee, g.provider):
                table.add_row(g.id, g.grantee, g.resource, g.provider, g.status(on),
                              ", ".join(g.columns), g.rows_text,
                              f"{g.valid_from}..{g.valid_until or ''}", g.source)  # fmt: skip
    elif what == "demands":
        table = Table("id", "department", "what", "why", "holder", "wants", "status", "met by",
                      title="demand list (需求清单)")  # fmt: skip
        for m in state.demands.values():
            if mine(m.department) or (d is not None and m.holder == d):
                table.add_row(m.id, m.department, m.what, m.why, m.holder or "",
                              "、".join(m.wants), m.status, m.resource or "")  # fmt: skip
    elif what == "deliveries":
        table = Table("at", "grant", "grantee", "resource", "batch", "rows", "sha256",
                      title="deliveries (receipts)")  # fmt: skip
        for e in state.deliveries:
            if mine(e["grantee"]):
                table.add_row(e["at"][:19], e["grant"], e["grantee"], e["resource"], e["batch"],
                              f"{e['rows']:,}", e["sha256"][:12])  # fmt: skip
    elif what == "refusals":
        table = Table("at", "requester", "resource", "reason", title="refused")
        for f in state.refusals:
            if mine(f.requester):
                table.add_row(f.at[:19], f.requester, f.resource, f.reason)
    else:
        fail(f"unknown list {what!r}: requests | grants | demands | deliveries | refusals")
    console.print(table)


def _rows_text(rows: list[dict]) -> str:
    from govlake.exchange.rules import describe_rows

    return describe_rows(rows)


@app.command("deliver")
def exchange_deliver(
    as_of: Annotated[
        str | None, typer.Option(help="judge periods on this day (YYYY-MM-DD; default today)")
    ] = None,
) -> None:
    """Deliver every active grant's new batches to the grantees' outboxes (what the exchange
    DAG runs); prints the receipts written."""
    from govlake.pipeline import exchange_step

    with console.status("exchange: deliveries"):
        summary = exchange_call(exchange_step, as_of)
    table = Table("grant", "grantee", "resource", "batch", "rows", title="delivered")
    for d in summary["delivered"]:
        table.add_row(d["grant"], d["grantee"], d["resource"], d["batch"], f"{d['rows']:,}")
    console.print(table)
    if not summary["delivered"]:
        console.print("nothing new to deliver")
    for demand, resource in summary["demands_closed"]:
        console.print(f"demand {demand} closed: met by {resource} (供需对接)")
    if summary["problems"]:
        fail("\n".join(summary["problems"]))


@app.command("audit")
def exchange_audit(
    verify: Annotated[
        bool, typer.Option(help="check the hash chain; name the first bad entry")
    ] = False,
    tail: Annotated[int, typer.Option(help="show the last N entries")] = 20,
) -> None:
    """The exchange's audit log: every request, decision, grant, demand and delivery receipt."""
    from govlake.exchange import log
    from govlake.lake import Lake

    lake = Lake.default()
    if verify:
        verdict = log.verify(lake)
        if not verdict.ok:
            fail(f"audit log {log.log_path(lake)}: {verdict.reason}")
        console.print(f"audit log intact: {verdict.entries} entries, hash chain verified")
        return
    entries = exchange_call(log.read_log, lake)
    table = Table("#", "at", "kind", "actor", "what", title=f"audit log ({len(entries)} entries)")
    for e in entries[-tail:] if tail else entries:
        what = e.get("id") or e.get("grant") or e.get("request") or e.get("demand") or ""
        detail = e.get("resource") or ""
        table.add_row(str(e["seq"]), e["at"][:19], e["kind"], e["actor"], f"{what} {detail}")
    console.print(table)


token = typer.Typer(help="API tokens (接口令牌) of grants: shown once, kept as a hash, revocable.")
app.add_typer(token, name="token")


@token.command("create")
def token_create(
    dept: AsDept,
    grant: Annotated[str | None, typer.Option(help="the grant, e.g. GR-0001")] = None,
    department: Annotated[
        str | None, typer.Option(help="a token for all this department's grants instead")
    ] = None,
) -> None:
    """A token for a grant's (or a department's) read API, printed once (only its hash is kept)."""
    from govlake.exchange.tokens import create_token
    from govlake.lake import Lake

    clear, t = exchange_call(create_token, Lake.default(), grant, dept, department=department)
    what = f"grant {t.grant} ({t.grantee} ← {t.resource})" if t.grant else f"{t.grantee}'s grants"
    console.print(f"token {t.id} for {what}; shown once:")
    print(clear)


@token.command("revoke")
def token_revoke(
    token_id: Annotated[str, typer.Argument(help="token id, e.g. TOK-0001")],
    dept: AsDept,
    reason: Annotated[str, typer.Option(help="why (recorded)")],
) -> None:
    """Withdraw a token: the next call with it is refused."""
    from govlake.exchange.tokens import revoke_token
    from govlake.lake import Lake

    t = exchange_call(revoke_token, Lake.default(), token_id, dept, reason=reason)
    console.print(f"token {t.id} revoked ({t.reason})")


serving = typer.Typer()


@serving.command("api")
def api(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port")] = 8800,
    calls_per_minute: Annotated[
        int | None, typer.Option(help="per token (GOVLAKE_API_CALLS_PER_MINUTE)")
    ] = None,
    page_limit: Annotated[
        int | None, typer.Option(help="largest JSON/CSV page (GOVLAKE_API_PAGE_LIMIT)")
    ] = None,
    workers: Annotated[
        int, typer.Option(min=1, help="uvicorn worker processes (limits count per worker)")
    ] = 1,
) -> None:
    """Serve the exchange read API (docs/exchange.md; OpenAPI at /docs)."""
    from govlake.exchange.api import serve
    from govlake.settings import get_settings

    given = {"api_calls_per_minute": calls_per_minute, "api_page_limit": page_limit}
    settings = get_settings().model_copy(update={k: v for k, v in given.items() if v})
    serve(host, port, settings, workers=workers)
