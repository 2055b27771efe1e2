"""``govlake catalog``: the resource catalogue (政务信息资源目录) tables, exports and site."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from govlake.cli.output import console, fail

app = typer.Typer(
    help="The resource catalogue (政务信息资源目录): models, exports, site.", no_args_is_help=True
)


@app.command("build")
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
        fail("\n".join(summary["problems"]))
    models = "rebuilt" if summary["models_rebuilt"] else "already current (as the build left them)"
    console.print(
        f"catalogue tables {models}; {len(summary['exports'])} exports; site {summary['site']}"
    )


@app.command("export")
def catalog_export(
    out: Annotated[Path | None, typer.Option("--out", help="folder (default: in the lake)")] = None,
) -> None:
    """Write catalogue.json / .csv / .xlsx and DCAT-AP (Turtle, JSON-LD) from the warehouse."""
    from govlake.catalogue.dcat import DcatError
    from govlake.catalogue.export import CatalogueMissing, export_catalogue

    try:
        paths = export_catalogue(out_dir=out)
    except (CatalogueMissing, DcatError) as exc:
        fail(str(exc))
    for path in paths:
        console.print(f"wrote {path}")


@app.command("site")
def catalog_site(
    out: Annotated[Path | None, typer.Option("--out", help="folder (default: in the lake)")] = None,
) -> None:
    """Build the static catalogue site for departments (works offline)."""
    from govlake.catalogue.site import SiteError, build_site

    try:
        site = build_site(out_dir=out)
    except SiteError as exc:
        fail(str(exc))
    console.print(f"catalogue site: {site / 'index.html'}")


@app.command("serve")
def catalog_serve(
    port: Annotated[int, typer.Option(help="port on 127.0.0.1")] = 8000,
) -> None:
    """Serve the catalogue site (and the quality Data Docs it links to) on this machine."""
    from govlake.catalogue.site import serve, site_dir
    from govlake.lake import Lake

    folder = site_dir(Lake.default())
    if not (folder / "index.html").exists():
        fail(f"no site at {folder}: run `govlake catalog site` (or `govlake run`) first")
    serve(folder, port)
