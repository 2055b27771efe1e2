"""The pipeline's stages, one command each (``govlake sample | ingest | status | quality | build |
sql | publish | config``): each calls the same function its DAG task calls."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from govlake.cli.exchange import exchange_call, open_exchange
from govlake.cli.output import console, err, fail, progress

app = typer.Typer()


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
    with progress() as bar:
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
    _sampleopen_exchange()


def _sampleopen_exchange() -> None:
    """The sample exchange activity (catalog/exchange/sample.yml), once per lake."""
    from govlake.exchange.sample import seed_sample
    from govlake.lake import Lake
    from govlake.settings import get_settings

    ex = open_exchange()
    settings = get_settings()
    counts = exchange_call(seed_sample, ex.rules, Lake.default(), settings.register_dir)
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
        fail(str(exc))
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
    with progress() as bar:
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
        fail("\n".join(problems))


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
        fail("no validated batch yet: run `govlake ingest` first")
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
        fail(f"{type(exc).__name__}: {exc}")
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
        fail(escape(str(exc)))
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
        fail(escape("\n".join(report.problems)))
