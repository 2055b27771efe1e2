"""``govlake run`` (the main job: every DAG in-process on the embedded defaults) and ``govlake
airflow`` (Airflow's own UI and CLI on the same configuration)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from govlake.cli.output import console, err, fail, progress
from govlake.cli.stages import sample

app = typer.Typer()


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
        fail(f"DAG import errors: {bag.import_errors}")
    outcomes = []
    ingest_ids = sorted(d for d in bag.dag_ids if d.startswith("ingest__"))
    with progress() as bar:
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

        fail(escape(str(exc)))
    console.print("Airflow stopped")


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
