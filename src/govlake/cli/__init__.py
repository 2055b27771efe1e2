"""``govlake``: one command line for every stage; each subcommand calls the same functions the
DAGs call. Heavy imports (Airflow, dbt, GX) happen inside the command that needs them.

One module per group of commands: ``stages`` (sample, ingest, status, quality, build, sql,
publish, config), ``run`` (run, airflow), ``catalogue``, ``portal``, ``exchange`` (and api)."""

from __future__ import annotations

import typer

from govlake.cli import catalogue, exchange, portal, run, stages

app = typer.Typer(
    help="govlake — 石景山区 data lake, shared exchange and open-data publisher.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(stages.app)
app.add_typer(run.app)
app.add_typer(catalogue.app, name="catalog")
app.add_typer(portal.app, name="portal")
app.add_typer(exchange.app, name="exchange")
app.add_typer(exchange.serving)
