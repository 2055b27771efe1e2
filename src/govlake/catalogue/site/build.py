"""Render the catalogue site: static HTML from the catalogue tables, built aside and swapped in.

Layout of ``<lake>/catalogue/site/`` (or ``out_dir``)::

    index.html                  home: counts, late resources, departments
    resources.html              every entry; search box and filters (static/site.js)
    resource/<code>.html        one page per entry, '/' of the code → '-'
    department/<id>.html        one page per providing department (and what it receives)
    exchange.html               the shared exchange: demand list, pending requests, grants
    static/                     site.css, site.js, favicon.svg (no CDN, no web fonts)
    site.json                   what was built, and where the quality Data Docs are from here

Links between pages, to static files and to the Data Docs (``<lake>/quality_docs/``) are
relative, so the site works from ``file://`` and when ``serve`` serves it with the Data Docs.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from collections import Counter
from importlib.resources import files
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

from govlake.catalogue.site.data import (
    BEIJING,
    FRESHNESS_EN,
    LAYERS,
    PREVIEW_ROWS,
    SENSITIVITY,
    Catalogue,
    Department,
    Resource,
    SiteError,
    read_catalogue,
)
from govlake.catalogue.site.lineage import Node, lineage_svg
from govlake.lake import Lake
from govlake.register import OpenType, ShareType
from govlake.settings import Settings, get_settings

SITE_JSON = "site.json"
PACKAGE = files("govlake.catalogue.site")
CATEGORY_EN = {"1": "base", "2": "thematic", "3": "department"}
SHARE_EN = {
    ShareType.unconditional: "unconditional",
    ShareType.conditional: "conditional",
    ShareType.none: "not shared",
}
OPEN_EN = {OpenType.open: "open", OpenType.conditional: "conditional", OpenType.closed: "not open"}
NO_THEME = "-"  # filter value of entries that belong to no theme


def site_dir(lake: Lake) -> Path:
    """Where the site lives in the lake."""
    return lake.root / "catalogue" / "site"


def _environment() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=PackageLoader("govlake.catalogue.site", "templates"),
        autoescape=select_autoescape(["html", "j2"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = lambda v: "—" if v is None else f"{v:,}"
    env.filters["score"] = lambda v: "—" if v is None else f"{v:.1f}"
    env.filters["date"] = lambda v: "—" if v is None else v.isoformat()
    env.filters["cell"] = lambda v: "" if v is None else str(v)
    env.filters["breakable"] = lambda v: Markup("_<wbr>").join(escape(v).split("_"))
    env.filters["share_en"] = lambda v: SHARE_EN.get(v, v)
    env.filters["open_en"] = lambda v: OPEN_EN.get(v, v)
    env.globals.update(
        FRESHNESS_EN=FRESHNESS_EN,
        SENSITIVITY=SENSITIVITY,
        LAYERS=LAYERS,
        CATEGORY_EN=CATEGORY_EN,
        PREVIEW_ROWS=PREVIEW_ROWS,
        NO_THEME=NO_THEME,
    )
    return env


def _latest_validation(docs: Path, resource: Resource) -> Path | None:
    """The Data Docs page of the resource's latest batch (GX lays validation results out as
    ``validations/<suite>/<run name = batch>/<run time>/<batch>.html``), else its latest page."""
    folder = docs / "validations" / resource.row["resource_id"]
    pages = sorted(folder.glob("*/*/*.html"), key=lambda p: (p.parent.name, p.as_posix()))
    batch = resource.status.get("last_batch_id")
    of_batch = [p for p in pages if p.parent.parent.name == batch]
    return (of_batch or pages or [None])[-1]


def _counts(values: list[Any], order: list[Any] | None = None) -> list[tuple[Any, int]]:
    counted = Counter(values)
    keys = order if order is not None else sorted(counted, key=lambda k: (k is None, str(k)))
    return [(k, counted[k]) for k in keys if counted[k]]


def _summary(cat: Catalogue) -> dict[str, Any]:
    rs = cat.resources
    late = sorted(
        (r for r in rs if r.status["freshness"] != "on_time"),
        key=lambda r: (r.status["late_since_date"] or dt.date.max, r.code),
    )
    categories = sorted({(r.row["category"], r.row["category_name"]) for r in rs})
    return {
        "total": len(rs),
        "fields": sum(len(r.items) for r in rs),
        "late": late,
        "by_department": [(d, len(d.resources)) for d in cat.departments],
        "by_category": [
            (c, name, sum(r.row["category"] == c for r in rs)) for c, name in categories
        ],
        "by_theme": _counts([r.row["theme"] for r in rs]),
        "by_base": _counts([r.row["base_database"] for r in rs if r.row["base_database"]]),
        "by_share": _counts([r.row["share_type"] for r in rs], list(ShareType)),
        "by_open": _counts([r.row["open_type"] for r in rs], list(OpenType)),
        "by_freshness": _counts([r.status["freshness"] for r in rs], list(FRESHNESS_EN)),
    }


def _filters(cat: Catalogue) -> dict[str, list[tuple[str, str]]]:
    """Options of each filter of the resource list: (value, label)."""
    rs = cat.resources
    themes = sorted({r.row["theme"] for r in rs if r.row["theme"]})
    labels = {r.status["freshness"]: r.status["freshness_label"] for r in rs}
    return {
        "department": [(d.id, d.name) for d in cat.departments],
        "category": sorted({(r.row["category"], r.row["category_name"]) for r in rs}),
        "theme": [(t, t) for t in themes] + [(NO_THEME, "未归入主题 (none)")],
        "share": [(s.value, f"{s.value} ({SHARE_EN[s]})") for s in ShareType],
        "open": [(o.value, f"{o.value} ({OPEN_EN[o]})") for o in OpenType],
        "freshness": [
            (k, f"{labels.get(k, k)} ({en})") for k, en in FRESHNESS_EN.items() if k in labels
        ],
    }


def build_site(settings: Settings | None = None, out_dir: Path | None = None) -> Path:
    """Build the site from the warehouse's catalogue tables; returns the site folder.

    Written into a sibling folder and swapped in, so a reader (or ``serve``) never sees half a
    site; a failed build leaves the previous site as it was.
    """
    from govlake.quality.docs import docs_dir
    from govlake.transform.query import WarehouseMissing, connect_analyst

    settings = settings or get_settings()
    lake = Lake(settings.lake_root)
    target = Path(out_dir).resolve() if out_dir else site_dir(lake)
    try:
        con = connect_analyst(settings)
    except WarehouseMissing as err:
        raise SiteError(str(err)) from err
    try:
        cat = read_catalogue(con)
    finally:
        con.close()

    docs = docs_dir(lake)
    docs_root = Path(os.path.relpath(docs, target)).as_posix() + "/" if docs.is_dir() else None
    for r in cat.resources:
        if docs_root and r.row["layer"] == "department":
            page = _latest_validation(docs, r)
            r.docs_href = docs_root + page.relative_to(docs).as_posix() if page else None
            suite = docs / "expectations" / f"{r.row['resource_id']}.html"
            r.suite_href = docs_root + f"expectations/{suite.name}" if suite.is_file() else None

    ex = _exchange(lake)
    target.parent.mkdir(parents=True, exist_ok=True)
    building = target.with_name(f".{target.name}-building-{os.getpid()}")
    shutil.rmtree(building, ignore_errors=True)
    try:
        _render(cat, building, docs_root, ex)
        old = target.with_name(f".{target.name}-old-{os.getpid()}")
        if target.exists():
            target.rename(old)
        building.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return target


def _exchange(lake: Lake) -> Any:
    """The exchange's grants, deliveries, requests and demands (None: its log is unreadable;
    the pages say so, and ``govlake exchange audit --verify`` says why)."""
    from govlake.exchange.log import LogCorrupt
    from govlake.exchange.view import read_view

    try:
        return read_view(lake)
    except (LogCorrupt, KeyError, ValueError):
        return None


def _render(cat: Catalogue, out: Path, docs_root: str | None, ex: Any = None) -> None:
    env = _environment()
    by_code = cat.by_code()
    nodes = {r.code: Node(r.code, r.row["name"], r.row["layer"]) for r in cat.resources}
    built_at = dt.datetime.now(BEIJING)
    common = {
        "docs_root": docs_root,
        "as_of": cat.as_of,
        "built_at": built_at,
        "ex": ex,
        "dept_names": {d.id: d.name for d in cat.departments},
        "res_by_id": {r.row["resource_id"]: r for r in cat.resources},
    }

    def write(name: str, template: str, **context: Any) -> None:
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        root = "../" * name.count("/")
        html = env.get_template(template).render(root=root, **common, **context)
        path.write_text(html, encoding="utf-8")

    write("index.html", "index.html.j2", active="home", s=_summary(cat), cat=cat)
    write(
        "resources.html",
        "resources.html.j2",
        active="resources",
        resources=cat.resources,
        filters=_filters(cat),
    )
    for r in cat.resources:
        svg = lineage_svg(r.code, nodes, cat.edges, href=lambda c: f"{by_code[c].slug}.html")
        write(
            f"resource/{r.slug}.html",
            "resource.html.j2",
            active="resources",
            r=r,
            by_code=by_code,
            lineage=svg,
        )
    for d in cat.departments:
        write(
            f"department/{d.slug}.html",
            "department.html.j2",
            active="departments",
            d=d,
            share_counts=_counts([r.row["share_type"] for r in d.resources], list(ShareType)),
        )
    write("exchange.html", "exchange.html.j2", active="exchange")
    static = out / "static"
    static.mkdir(parents=True, exist_ok=True)
    for entry in PACKAGE.joinpath("static").iterdir():
        (static / entry.name).write_bytes(entry.read_bytes())
    (out / SITE_JSON).write_text(
        json.dumps(
            {
                "built_at": built_at.isoformat(timespec="seconds"),
                "as_of": cat.as_of.isoformat() if cat.as_of else None,
                "resources": len(cat.resources),
                "departments": len(cat.departments),
                "quality_docs": docs_root,
                "exchange": ex.counts if ex is not None else None,
            },
            ensure_ascii=False,
            indent=2,
        ),
        encoding="utf-8",
    )


__all__ = ["Department", "SiteError", "build_site", "site_dir"]
