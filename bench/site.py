"""Catalogue site benchmark: ``build_site`` on a built warehouse, tiny and district scale.

Data: ``tests/accepted_batches.py`` written into the accepted zone and built with dbt (the
catalogue tables, and the tables the previews read, come from that build). Each site build
runs in a fresh subprocess, as ``govlake catalog site`` would: the time includes imports
(jinja2, duckdb, the quality package for the Data Docs' location). Writes its section of
RESULTS.md.
Usage: ``.venv/bin/python bench/site.py [--rebuild] [--scales tiny,district]``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from results_md import write_section

HERE = Path(__file__).resolve().parent
DATA = HERE / "_data" / "site"
DAY = dt.date(2026, 11, 2)
KEY = "bench-key-not-secret"
RUNS = 5
HEADER = (
    "| scale | entries | current rows | wall s | CPU s | import s | build s | read s | render s "
    "| pages | MB | peak RSS MB |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
)
CHILD = """
import json, resource, sys, time
t0 = time.perf_counter()
from govlake.catalogue.site import build_site
from govlake.catalogue.site import build as site_build
t1 = time.perf_counter()
phases = {}
read, render = site_build.read_catalogue, site_build._render
def timed(name, fn):
    def run(*a, **k):
        t = time.perf_counter()
        try:
            return fn(*a, **k)
        finally:
            phases[name] = time.perf_counter() - t
    return run
site_build.read_catalogue = timed("read", read)
site_build._render = timed("render", render)
out = build_site()
t2 = time.perf_counter()
pages = sum(1 for _ in out.rglob("*.html"))
size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
print(json.dumps({"import": t1 - t0, "build": t2 - t1, "pages": pages, "bytes": size,
                  "phases": phases,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _env(lake: Path) -> dict[str, str]:
    return os.environ | {"GOVLAKE_LAKE_ROOT": str(lake), "GOVLAKE_HMAC_KEY": KEY}


def _prepare(scale: str, rebuild: bool) -> tuple[Path, float | None]:
    """A built warehouse at ``scale``; returns the lake and the dbt build's seconds (if run)."""
    lake = DATA / scale / "lake"
    if not rebuild and (lake / "warehouse.duckdb").exists():
        return lake, None
    shutil.rmtree(lake, ignore_errors=True)
    code = (
        "import datetime as dt, sys, time\n"
        "from pathlib import Path\n"
        f"sys.path.insert(0, {str(HERE.parent / 'tests')!r})  # accepted-zone test data\n"
        "from accepted_batches import generate\n"
        "from govlake.register import load_register\n"
        "from govlake.transform import build\n"
        f"generate(Path({str(lake)!r}), load_register(), scale={scale!r}, "
        f"batch_date=dt.date({DAY.year}, {DAY.month}, {DAY.day}), key={KEY.encode()!r})\n"
        "t = time.perf_counter()\n"
        "r = build()\n"
        "assert r.success, r.message\n"
        "print(time.perf_counter() - t)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=_env(lake), capture_output=True, text=True, check=True
    )
    return lake, float(out.stdout.strip().splitlines()[-1])


def _rows(lake: Path) -> tuple[int, int]:
    import duckdb

    con = duckdb.connect(str(lake / "warehouse.duckdb"), read_only=True)
    try:
        entries = con.execute("select count(*) from catalogue.catalogue_resource").fetchone()[0]
        rows = con.execute("select sum(current_rows) from catalogue.catalogue_status").fetchone()
        return entries, int(rows[0] or 0)
    finally:
        con.close()


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(lake: Path) -> dict:
    t, cpu = time.perf_counter(), _children_cpu()
    out = subprocess.run(
        [sys.executable, "-c", CHILD], env=_env(lake), capture_output=True, text=True, check=True
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["wall"] = time.perf_counter() - t
    result["cpu"] = _children_cpu() - cpu
    return result


def main() -> None:
    rebuild = "--rebuild" in sys.argv
    scales = ["tiny", "district"]
    if "--scales" in sys.argv:
        scales = sys.argv[sys.argv.index("--scales") + 1].split(",")
    load = os.getloadavg()[0]
    lines: list[str] = []
    notes: list[str] = []
    for scale in scales:
        lake, built = _prepare(scale, rebuild)
        entries, rows = _rows(lake)
        runs = [_run(lake) for _ in range(RUNS)]
        med = {k: statistics.median(r[k] for r in runs) for k in ("wall", "cpu", "import", "build")}
        phase = {k: statistics.median(r["phases"][k] for r in runs) for k in ("read", "render")}
        last = runs[-1]
        lines.append(
            f"| {scale} | {entries} | {rows:,} | {med['wall']:.2f} | {med['cpu']:.2f} | "
            f"{med['import']:.2f} | "
            f"{med['build']:.2f} | {phase['read']:.2f} | {phase['render']:.2f} | "
            f"{last['pages']} | {last['bytes'] / 1e6:.1f} | {last['rss_mb']:.0f} |"
        )
        if built is not None:
            notes.append(f"the {scale} warehouse's dbt build took {built:.1f} s")
        print(lines[-1], flush=True)
    body = f"""## Catalogue site (`govlake.catalogue.site.build_site`)

Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores (CPython \
{platform.python_version()}), `bench/site.py`; 1-min load average {load:.1f} when it started \
(other work shared the machine). Data: `tests/accepted_batches.py` built by dbt. Each site build \
runs in a fresh process ({RUNS} runs, medians): *wall* is the whole process, *CPU* its user + \
system time (less noisy than wall on a shared machine), *import* loading \
`govlake.catalogue.site`, *build* the call (of which *read*: the catalogue tables and previews \
from the warehouse; *render*: templates, lineage SVGs, static files; the rest is importing the \
quality package for the Data Docs' location, and the swap).

{HEADER}
{chr(10).join(lines)}

The site's size follows the catalogue (entries, 信息项), not the data: at district scale only the
previews read more, and they read at most 20 rows of tables that have no personal field.
Catalogue target: models + exports + site < 5 s on top of the build: as its own process the site
takes the *wall* column; called in a process that has already imported the stack (a DAG task
after the build), about the *build* column.
{("For scale: " + "; ".join(notes) + ".") if notes else ""}
"""
    print(write_section("site", body))


if __name__ == "__main__":
    main()
