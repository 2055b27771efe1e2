"""``govlake portal``: the local CKAN portal's processes."""

from __future__ import annotations

import typer

from govlake.cli.output import console, fail

app = typer.Typer(
    help="The local CKAN portal (used when GOVLAKE_CKAN_URL is unset).", no_args_is_help=True
)


@app.command("start")
def portal_start() -> None:
    """Start the local portal (installs CKAN on first use) and leave it running."""
    from rich.markup import escape

    from govlake.publish.portal import Portal, PortalError, describe

    try:
        with console.status("starting the local CKAN portal (first start installs CKAN)"):
            info = Portal.from_settings().start()
    except PortalError as exc:
        fail(escape(str(exc)))
    for key, value in describe(info).items():
        console.print(f"{key:>10}: {value}", highlight=False)


@app.command("stop")
def portal_stop() -> None:
    """Stop the local portal's CKAN, Redis and PostgreSQL (the data stays)."""
    from govlake.publish.portal import Portal

    Portal.from_settings().stop()
    console.print("local portal stopped")


@app.command("status")
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
