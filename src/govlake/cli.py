"""``govlake``: one command line for every stage; each subcommand calls the same functions the
DAGs call. Heavy imports (Airflow, dbt, GX) happen inside the command that needs them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

app = typer.Typer(
    help="govlake — 石景山区 data lake, shared exchange and open-data publisher.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console()
err = Console(stderr=True)


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=not console.is_terminal,
    )


def _fail(message: str) -> None:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(1)


@app.command()
def config() -> None:
    """Show the effective configuration (environment over embedded defaults; secrets masked)."""
    from govlake.settings import get_settings

    table = Table("setting", "value", title="govlake configuration")
    for key, value in get_settings().shown().items():
        table.add_row(key, value)
    console.print(table)


@app.command()
def sample(
    scale: Annotated[str, typer.Option(help="tiny | district | city")] = "tiny",
    seed: Annotated[int, typer.Option(help="random seed: same seed, same files")] = 42,
    defect_rate: Annotated[
        float, typer.Option(help="share of rows with an injected defect")
    ] = 0.02,
    batch_date: Annotated[
        str | None, typer.Option("--date", help="landing date YYYY-MM-DD")
    ] = None,
    delta: Annotated[
        bool,
        typer.Option(
            "--delta",
            help="instead: the day's deliveries after the existing sample (1% of persons "
            "changed, some deregistered; the month's enrolments; entities struck off)",
        ),
    ] = False,
) -> None:
    """Write synthetic department extracts into the landing zone (never real personal data)."""
    from govlake.sample import generate
    from govlake.settings import get_settings

    day = dt.date.fromisoformat(batch_date) if batch_date else dt.date.today()
    if delta:
        from govlake.sample.delta import generate_delta

        try:
            done = generate_delta(get_settings().lake_root, day=day, seed=seed)
        except (FileNotFoundError, ValueError) as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from None
        table = Table(
            "resource", "rows", title=f"delta seed={seed} → {day} (after {done.base_day})"
        )
        for name, rows in sorted(done.rows.items()):
            table.add_row(name, f"{rows:,}")
        console.print(table)
        console.print(
            f"{len(done.left):,} persons left (注销), {len(done.changed):,} changed, "
            f"{len(done.born):,} born; {len(done.struck_off):,} entities struck off"
        )
        return
    with _progress() as bar:
        tasks: dict[str, int] = {}

        def report(name: str, rows: int) -> None:
            if name not in tasks:
                tasks[name] = bar.add_task(name, total=None)
            bar.update(tasks[name], completed=rows)

        result = generate(
            get_settings().lake_root,
            scale=scale,
            seed=seed,
            defect_rate=defect_rate,
            batch_date=day,
            progress=report,
        )
    table = Table("resource", "rows", title=f"sample {scale} seed={seed} → {day}")
    for name, rows in sorted(result.rows.items()):
        table.add_row(name, f"{rows:,}")
    console.print(table)
    console.print(f"{result.defects:,} defects injected, recorded in {result.defects_path}")
    _sample_exchange()


def _sample_exchange() -> None:
    """The sample exchange activity (catalog/exchange/sample.yml), once per lake."""
    from govlake.exchange.sample import seed_sample
    from govlake.lake import Lake
    from govlake.settings import get_settings

    ex = _exchange()
    settings = get_settings()
    counts = _exchange_call(seed_sample, ex.rules, Lake.default(), settings.register_dir)
    if any(counts.values()):
        console.print(
            "exchange sample: "
            + ", ".join(f"{n} {what}" for what, n in counts.items())
            + " (govlake exchange list)"
        )


def _resources(names: list[str] | None) -> list[str]:
    from govlake.register import RegisterError, load_register

    try:
        register = load_register()
        return [register.resource(n).id for n in names] if names else sorted(register.resources)
    except RegisterError as exc:
        _fail(str(exc))
        return []


@app.command()
def ingest(
    resources: Annotated[
        list[str] | None, typer.Argument(help="resource ids (default: all)")
    ] = None,
    retry_rejected: Annotated[bool, typer.Option(help="try rejected files again")] = False,
) -> None:
    """Landing → raw → quality gate, without a scheduler (what each ingest DAG runs)."""
    from govlake.pipeline import gate_step, ingest_step, verdict

    problems: list[str] = []
    table = Table("resource", "new batches", "rows in", "accepted rows", "problems")
    with _progress() as bar:
        todo = _resources(resources)
        task = bar.add_task("ingest", total=len(todo))
        for rid in todo:
            bar.update(task, description=f"ingest {rid}")
            ingested = ingest_step(rid, retry_rejected=retry_rejected)
            gated = gate_step(rid)
            found = verdict(ingested, gated)
            problems += found
            table.add_row(
                rid, str(len(ingested["batches"])), f"{ingested['rows']:,}",
                f"{gated['rows']:,}", str(len(found)) if found else "",
            )  # fmt: skip
            bar.advance(task)
    console.print(table)
    if problems:
        _fail("\n".join(problems))


@app.command()
def status(
    resources: Annotated[
        list[str] | None, typer.Argument(help="resource ids (default: all)")
    ] = None,
) -> None:
    """Every landing file the lake has seen, each version with its status and reason (the
    manifest), and the files still waiting to be complete (docs/delivery.md)."""
    table = Table("resource", "file", "v", "status", "rows", "sha256", "reason", title="manifest")
    for row in status_rows(_resources(resources)):
        table.add_row(*row)
    console.print(table)


def status_rows(resource_ids: list[str]) -> list[tuple[str, ...]]:
    """The rows ``status`` prints: manifest entries (every version) and waiting files, by path;
    a held batch's reason is the quality gate's message."""
    from govlake.ingest import read_manifest
    from govlake.ingest.runner import waiting_files

    rows = []
    for rid in resource_ids:
        entries = read_manifest(rid) + waiting_files(rid)
        for e in sorted(entries, key=lambda e: (e["path"], e.get("version", 1))):
            reason = e.get("reason") or ""
            if e["status"] == "held":
                reason = e.get("quality_message") or reason
            rows.append((
                rid, e["path"], str(e.get("version", 1)), e["status"], str(e.get("rows") or ""),
                (e.get("sha256") or "")[:12], reason,
            ))  # fmt: skip
    return rows


@app.command()
def quality(
    resource: Annotated[str | None, typer.Argument(help="resource id (default: all)")] = None,
) -> None:
    """Re-validate the latest batches and print the quality summary."""
    from govlake.quality import revalidate, summarise

    revalidate(resource)
    rows = summarise(resource)
    if not rows:
        _fail("no validated batch yet: run `govlake ingest` first")
    table = Table(*rows[0].keys(), title="quality")
    for row in rows:
        table.add_row(*(str(v) for v in row.values()))
    console.print(table)


@app.command()
def build(
    select: Annotated[list[str] | None, typer.Option("--select", "-s", help="dbt selector")] = None,
    full_refresh: Annotated[bool, typer.Option(help="rebuild incremental models")] = False,
) -> None:
    """dbt build of the warehouse (staging → base → thematic → open → catalogue)."""
    from govlake.transform import build as run_build

    with console.status("dbt build"):
        result = run_build(select, full_refresh=full_refresh)
    console.print(result.message)
    if not result.success:
        raise typer.Exit(1)


@app.command()
def sql(
    command: Annotated[str | None, typer.Option("-c", help="run one query and exit")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table | csv | json")] = "table",
    output: Annotated[Path | None, typer.Option("-o", help="write the result to a file")] = None,
) -> None:
    """SQL over the warehouse, read-only, pseudonymous keys only (analysts)."""
    from govlake.transform import run_sql

    if command is None:
        _shell(run_sql)
        return
    try:
        text = run_sql(command, fmt=fmt, output=output)
    except Exception as exc:  # the query's own error is the message the analyst needs
        _fail(f"{type(exc).__name__}: {exc}")
    if text:
        console.print(text, highlight=False, markup=False, soft_wrap=True)


def _shell(run_sql) -> None:
    """A small REPL: statements end with ';', ``.quit`` or end-of-input leaves."""
    console.print("govlake sql — read-only warehouse; end statements with ';', .quit to leave")
    buffer: list[str] = []
    while True:
        try:
            line = input("govlake> " if not buffer else "    ...> ")
        except EOFError:
            break
        if not buffer and line.strip() in {".quit", ".exit"}:
            break
        buffer.append(line)
        if line.rstrip().endswith(";"):
            query, buffer = "\n".join(buffer), []
            try:
                console.print(run_sql(query, fmt="table"), highlight=False, markup=False)
            except Exception as exc:  # show the error and keep the session
                err.print(f"[red]{type(exc).__name__}:[/] {exc}", highlight=False)


@app.command()
def run(
    scale: Annotated[
        str, typer.Option(help="sample scale when the landing zone is empty")
    ] = "tiny",
    seed: Annotated[int, typer.Option(help="sample seed")] = 42,
) -> None:
    """The main job on embedded defaults: sample (if landing is empty) → Airflow DAGs in-process
    (ingest + quality gate per resource, the dbt build, the catalogue, the exchange) → summary."""
    from govlake import airflow_local
    from govlake.lake import Lake
    from govlake.settings import get_settings

    settings = get_settings()
    lake = Lake(settings.lake_root)
    if not any(lake.landing_root.glob("*/*/*/*")):
        console.print(f"landing zone {lake.landing_root} is empty: generating the {scale} sample")
        sample(scale=scale, seed=seed, defect_rate=0.02, batch_date=None)
    airflow_local.configure(settings.airflow_home)
    with console.status("starting Airflow (SQLite, in-process)"):
        airflow_local.migrate()
        bag = airflow_local.dagbag()
    if bag.import_errors:
        _fail(f"DAG import errors: {bag.import_errors}")
    outcomes = []
    ingest_ids = sorted(d for d in bag.dag_ids if d.startswith("ingest__"))
    with _progress() as bar:
        task = bar.add_task("DAGs", total=len(ingest_ids) + 4)
        for dag_id in [*ingest_ids, "build", "catalogue", "exchange", "publish"]:
            bar.update(task, description=dag_id)
            outcomes.append(airflow_local.run_dag(bag.dags[dag_id]))
            bar.advance(task)
    from govlake.quality import build_data_docs

    with console.status("Great Expectations Data Docs"):
        docs = build_data_docs(lake)
    _summary(lake, outcomes)
    console.print(f"quality Data Docs: {docs}")
    from govlake.catalogue.export import EXPORT_DIR
    from govlake.catalogue.site import site_dir

    site = site_dir(lake) / "index.html"
    if site.exists():
        console.print(f"resource catalogue (site for departments): {site}")
        console.print(f"catalogue exports (JSON, CSV, XLSX, DCAT): {lake.root / EXPORT_DIR}")
        console.print("serve both: govlake catalog serve")
    if (lake.root / "exchange").exists():
        console.print(f"exchange outboxes and audit log: {lake.root / 'exchange'}")
        from govlake.exchange.api import how_to_call

        for line in how_to_call(lake):
            console.print(line, highlight=False)
    _published(lake)
    _portal_login(settings)
    if not all(o.ok for o in outcomes):
        raise typer.Exit(1)


@app.command()
def airflow(
    args: Annotated[
        list[str] | None, typer.Argument(help="an `airflow` CLI command, after --")
    ] = None,
    port: Annotated[int, typer.Option(help="port of the UI and REST API on 127.0.0.1")] = 8080,
) -> None:
    """Airflow's own UI on the embedded configuration (API server, scheduler, DAG processor;
    Ctrl-C stops them). `govlake airflow -- dags list` runs an `airflow` command there instead."""
    import os

    from govlake import airflow_local
    from govlake.settings import get_settings

    settings = get_settings()
    airflow_local.configure(settings.airflow_home, port=port, serving=not args)
    if args:
        raise typer.Exit(airflow_local.cli(args))

    def ready() -> None:
        home = os.environ["AIRFLOW_HOME"]
        console.print(f"[bold green]Airflow UI:[/] {airflow_local.url()}/  (Ctrl-C stops it)")
        console.print(f"login: {airflow_local.login_help()}")
        console.print("DAGs start paused: unpause one (the trigger form offers it) to let it run")
        console.print(f"Airflow home: {home} (component logs in logs/); lake: {settings.lake_root}")

    console.print("starting Airflow: API server, scheduler, DAG processor …")
    try:
        airflow_local.serve(on_ready=ready)
    except airflow_local.AirflowServerError as exc:
        from rich.markup import escape

        _fail(escape(str(exc)))
    console.print("Airflow stopped")


@app.command()
def publish(
    resources: Annotated[
        list[str] | None, typer.Argument(help="resource ids or codes (default: every open one)")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="print the plan; change nothing on CKAN")
    ] = False,
) -> None:
    """Open catalogue entries → CKAN (the local portal, or GOVLAKE_CKAN_URL): files, data
    dictionary, DataStore preview; unchanged files are not uploaded again (docs/publishing.md)."""
    from rich.markup import escape

    from govlake.publish.run import publish as run_publish
    from govlake.publish.selection import PublishError

    try:
        with console.status("publishing" if not dry_run else "planning"):
            report = run_publish(dry_run=dry_run, only=resources)
    except PublishError as exc:
        _fail(escape(str(exc)))
        return
    title = f"{'plan (dry run)' if dry_run else 'sync'} → {report.target}"
    table = Table("dataset", "resource", "outcome", "files", "bytes", "detail", title=title)
    for d in report.datasets:
        table.add_row(
            d.name, d.resource_id, d.outcome, ", ".join(d.uploads),
            f"{d.bytes:,}" if d.bytes else "", escape(d.detail),
        )  # fmt: skip
    console.print(table)
    for note in report.notes:
        console.print(f"[yellow]{escape(note)}[/]")
    console.print(report.summary_line())
    console.print(f"report: {report.path}")
    if report.problems:
        _fail(escape("\n".join(report.problems)))


catalog = typer.Typer(
    help="The resource catalogue (政务信息资源目录): models, exports, site.", no_args_is_help=True
)
app.add_typer(catalog, name="catalog")


@catalog.command("build")
def catalog_build(
    as_of: Annotated[
        str | None, typer.Option(help="judge freshness on this day (YYYY-MM-DD; default today)")
    ] = None,
) -> None:
    """Rebuild the catalogue tables, exports and site (what the catalogue DAG runs)."""
    from govlake.pipeline import catalogue_step

    with console.status("catalogue: dbt models, exports, site"):
        summary = catalogue_step(as_of)
    if summary["problems"]:
        _fail("\n".join(summary["problems"]))
    models = "rebuilt" if summary["models_rebuilt"] else "already current (as the build left them)"
    console.print(
        f"catalogue tables {models}; {len(summary['exports'])} exports; site {summary['site']}"
    )


@catalog.command("export")
def catalog_export(
    out: Annotated[Path | None, typer.Option("--out", help="folder (default: in the lake)")] = None,
) -> None:
    """Write catalogue.json / .csv / .xlsx and DCAT-AP (Turtle, JSON-LD) from the warehouse."""
    from govlake.catalogue.dcat import DcatError
    from govlake.catalogue.export import CatalogueMissing, export_catalogue

    try:
        paths = export_catalogue(out_dir=out)
    except (CatalogueMissing, DcatError) as exc:
        _fail(str(exc))
    for path in paths:
        console.print(f"wrote {path}")


@catalog.command("site")
def catalog_site(
    out: Annotated[Path | None, typer.Option("--out", help="folder (default: in the lake)")] = None,
) -> None:
    """Build the static catalogue site for departments (works offline)."""
    from govlake.catalogue.site import SiteError, build_site

    try:
        site = build_site(out_dir=out)
    except SiteError as exc:
        _fail(str(exc))
    console.print(f"catalogue site: {site / 'index.html'}")


@catalog.command("serve")
def catalog_serve(
    port: Annotated[int, typer.Option(help="port on 127.0.0.1")] = 8000,
) -> None:
    """Serve the catalogue site (and the quality Data Docs it links to) on this machine."""
    from govlake.catalogue.site import serve, site_dir
    from govlake.lake import Lake

    folder = site_dir(Lake.default())
    if not (folder / "index.html").exists():
        _fail(f"no site at {folder}: run `govlake catalog site` (or `govlake run`) first")
    serve(folder, port)


portal = typer.Typer(
    help="The local CKAN portal (used when GOVLAKE_CKAN_URL is unset).", no_args_is_help=True
)
app.add_typer(portal, name="portal")


@portal.command("start")
def portal_start() -> None:
    """Start the local portal (installs CKAN on first use) and leave it running."""
    from rich.markup import escape

    from govlake.publish.portal import Portal, PortalError, describe

    try:
        with console.status("starting the local CKAN portal (first start installs CKAN)"):
            info = Portal.from_settings().start()
    except PortalError as exc:
        _fail(escape(str(exc)))
    for key, value in describe(info).items():
        console.print(f"{key:>10}: {value}", highlight=False)


@portal.command("stop")
def portal_stop() -> None:
    """Stop the local portal's CKAN, Redis and PostgreSQL (the data stays)."""
    from govlake.publish.portal import Portal

    Portal.from_settings().stop()
    console.print("local portal stopped")


@portal.command("status")
def portal_status() -> None:
    """Whether the local portal runs, where, and its processes."""
    from govlake.publish.portal import Portal

    status = Portal.from_settings().status()
    console.print(f"running: {'yes' if status.running else 'no'}", highlight=False)
    console.print(f"url: {status.url or '-'}", highlight=False)
    console.print(f"home: {status.home}", highlight=False)
    for name, pid in status.pids.items():
        console.print(f"{name}: pid {pid}", highlight=False)
    for name in status.problems:
        console.print(f"{name}: not running (stale; `govlake portal start` cleans up)")
    if not status.running:
        raise typer.Exit(1)


exchange = typer.Typer(
    help="The shared exchange (共享交换): subscriptions, requests, grants, demands, deliveries, "
    "audit log (docs/exchange.md).",
    no_args_is_help=True,
)
app.add_typer(exchange, name="exchange")
AsDept = Annotated[str, typer.Option("--as", help="the department acting (register id)")]
Columns = Annotated[
    str | None, typer.Option(help="信息项 names or labels, comma-separated (default: all shared)")
]
Rows = Annotated[
    list[str] | None,
    typer.Option("--rows", help="row condition, e.g. 'age >= 60', 'street_code in (110107001)'"),
]


def _exchange():
    """The exchange on the configured lake and register; errors become clear messages."""
    from govlake.exchange import Exchange, load_rules
    from govlake.lake import Lake
    from govlake.register import RegisterError

    try:
        return Exchange(load_rules(), Lake.default())
    except RegisterError as exc:
        _fail(str(exc))


def _exchange_call(fn, *args, **kwargs):
    from govlake.exchange import ExchangeError
    from govlake.exchange.log import LogCorrupt
    from govlake.ingest.lock import ResourceBusy

    try:
        return fn(*args, **kwargs)
    except (ExchangeError, LogCorrupt, ResourceBusy) as exc:
        _fail(str(exc))


def _split(text: str | None) -> list[str] | None:
    return [c.strip() for c in text.split(",") if c.strip()] if text else None


def _conditions(rows: list[str] | None) -> list[dict]:
    from govlake.exchange.rules import parse_condition

    return [_exchange_call(parse_condition, r) for r in rows or []]


@exchange.command("subscribe")
def exchange_subscribe(
    resource: Annotated[str, typer.Argument(help="resource id or code (无条件共享)")],
    dept: AsDept,
    columns: Columns = None,
    rows: Rows = None,
    csv: Annotated[bool, typer.Option(help="deliver a CSV beside each Parquet file")] = False,
    until: Annotated[str | None, typer.Option(help="end of the period YYYY-MM-DD")] = None,
) -> None:
    """Subscribe to an unconditionally shared (无条件共享) resource: granted at once."""
    ex = _exchange()
    g = _exchange_call(
        ex.subscribe, dept, resource, columns=_split(columns), rows=_conditions(rows), csv=csv,
        until=until,
    )  # fmt: skip
    console.print(
        f"grant {g.id}: {g.grantee} ← {g.resource} ({', '.join(g.columns)}; {g.rows_text})"
    )


@exchange.command("request")
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
    ex = _exchange()
    r = _exchange_call(
        ex.request, dept, resource, purpose=purpose, legal_basis=basis, until=until,
        start=start, columns=_split(columns), rows=_conditions(rows), csv=csv,
    )  # fmt: skip
    console.print(f"request {r.id}: {r.requester} → {r.provider} for {r.resource}, pending")


@exchange.command("approve")
def exchange_approve(
    request: Annotated[str, typer.Argument(help="request id, e.g. REQ-0001")],
    dept: AsDept,
    columns: Columns = None,
    reason: Annotated[str | None, typer.Option(help="why (recorded)")] = None,
) -> None:
    """The provider approves a request (optionally granting fewer columns)."""
    ex = _exchange()
    g = _exchange_call(ex.approve, request, dept, columns=_split(columns), reason=reason)
    console.print(f"request {request} approved: grant {g.id} ({', '.join(g.columns)})")


@exchange.command("reject")
def exchange_reject(
    request: Annotated[str, typer.Argument(help="request id")],
    dept: AsDept,
    reason: Annotated[str, typer.Option(help="why (recorded, shown to the requester)")],
) -> None:
    """The provider rejects a request, with its reason."""
    _exchange_call(_exchange().reject, request, dept, reason=reason)
    console.print(f"request {request} rejected")


@exchange.command("revoke")
def exchange_revoke(
    grant: Annotated[str, typer.Argument(help="grant id, e.g. GR-0001")],
    dept: AsDept,
    reason: Annotated[str, typer.Option(help="why (recorded)")],
) -> None:
    """End a grant (provider, or the grantee giving it up): no further deliveries."""
    _exchange_call(_exchange().revoke, grant, dept, reason=reason)
    console.print(f"grant {grant} revoked")


@exchange.command("demand")
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
    ex = _exchange()
    if close:
        if not resource:
            _fail("--close needs --resource (the registered resource that meets the demand)")
        _exchange_call(ex.close_demand, close, resource, dept)
        console.print(f"demand {close} closed: met by {resource}")
        return
    if not what or not why:
        _fail("a demand needs --what and --why")
    d = _exchange_call(ex.demand, dept, what=what, why=why, holder=holder, wants=_split(wants))
    console.print(f"demand {d.id} recorded for {d.department}: {d.what}")


@exchange.command("list")
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

    ex = _exchange()
    state = _exchange_call(ex.state)
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
        _fail(f"unknown list {what!r}: requests | grants | demands | deliveries | refusals")
    console.print(table)


def _rows_text(rows: list[dict]) -> str:
    from govlake.exchange.rules import describe_rows

    return describe_rows(rows)


@exchange.command("deliver")
def exchange_deliver(
    as_of: Annotated[
        str | None, typer.Option(help="judge periods on this day (YYYY-MM-DD; default today)")
    ] = None,
) -> None:
    """Deliver every active grant's new batches to the grantees' outboxes (what the exchange
    DAG runs); prints the receipts written."""
    from govlake.pipeline import exchange_step

    with console.status("exchange: deliveries"):
        summary = _exchange_call(exchange_step, as_of)
    table = Table("grant", "grantee", "resource", "batch", "rows", title="delivered")
    for d in summary["delivered"]:
        table.add_row(d["grant"], d["grantee"], d["resource"], d["batch"], f"{d['rows']:,}")
    console.print(table)
    if not summary["delivered"]:
        console.print("nothing new to deliver")
    for demand, resource in summary["demands_closed"]:
        console.print(f"demand {demand} closed: met by {resource} (供需对接)")
    if summary["problems"]:
        _fail("\n".join(summary["problems"]))


@exchange.command("audit")
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
            _fail(f"audit log {log.log_path(lake)}: {verdict.reason}")
        console.print(f"audit log intact: {verdict.entries} entries, hash chain verified")
        return
    entries = _exchange_call(log.read_log, lake)
    table = Table("#", "at", "kind", "actor", "what", title=f"audit log ({len(entries)} entries)")
    for e in entries[-tail:] if tail else entries:
        what = e.get("id") or e.get("grant") or e.get("request") or e.get("demand") or ""
        detail = e.get("resource") or ""
        table.add_row(str(e["seq"]), e["at"][:19], e["kind"], e["actor"], f"{what} {detail}")
    console.print(table)


token = typer.Typer(help="API tokens (接口令牌) of grants: shown once, kept as a hash, revocable.")
exchange.add_typer(token, name="token")


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

    clear, t = _exchange_call(create_token, Lake.default(), grant, dept, department=department)
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

    t = _exchange_call(revoke_token, Lake.default(), token_id, dept, reason=reason)
    console.print(f"token {t.id} revoked ({t.reason})")


@app.command("api")
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


def _published(lake) -> None:
    """What the publish DAG did, from its sync report."""
    import json

    from govlake.publish.report import REPORT_DIR

    reports = sorted((lake.root / REPORT_DIR).glob("sync-*.json"))
    if reports:
        counts = json.loads(reports[-1].read_text(encoding="utf-8"))["counts"]
        done = ", ".join(f"{n} {outcome}" for outcome, n in counts.items() if n)
        console.print(f"open data published: {done or 'nothing'} (report {reports[-1]})")


def _portal_login(settings) -> None:
    """Where the open data went: the CKAN URL, and the local portal's admin login."""
    if settings.ckan_url:
        console.print(f"open data portal (CKAN): {settings.ckan_url}")
        return
    from govlake.publish.portal import Portal, PortalError

    try:
        info = Portal.from_settings(settings).start()  # running since the publish DAG: its info
    except PortalError as exc:
        err.print(f"[red]local portal:[/] {exc}", highlight=False)
        return
    console.print(f"open data portal (local CKAN, left running): {info.url}/dataset/")
    console.print(
        f"admin login: {info.admin_user} / {info.admin_password}  (stop: govlake portal stop)"
    )


def _summary(lake, outcomes) -> None:
    from govlake.ingest import read_manifest
    from govlake.quality import quality_scores

    scores = quality_scores(lake)
    table = Table(
        "DAG (ingest__…)", "state", "files", "rows", "accepted", "quarantined", "held", "score",
        title="govlake run: rows delivered → accepted + quarantined",
    )  # fmt: skip
    for o in outcomes:
        rid = o.dag_id.removeprefix("ingest__")
        entries = read_manifest(rid) if o.dag_id.startswith("ingest__") else []
        state = "[green]success" if o.ok else f"[red]{o.state} ({', '.join(o.failed_tasks)})"
        table.add_row(
            rid, state, str(len(entries)) if entries else "",
            _sum(entries, "rows"), _sum(entries, "accepted_rows"),
            _sum(entries, "quarantined_rows"),
            str(sum(e["status"] == "held" for e in entries)) if entries else "",
            f"{scores[rid]:.1f}" if rid in scores else "",
        )  # fmt: skip
    console.print(table)
    console.print(f"lake: {lake.root}")


def _sum(entries: list[dict], key: str) -> str:
    return f"{sum(e.get(key) or 0 for e in entries):,}" if entries else ""


if __name__ == "__main__":
    app()
