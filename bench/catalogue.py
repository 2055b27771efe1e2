"""What the catalogue adds on top of a build, at district scale: its dbt models inside the build,
then the catalogue DAG's task (exports + site; the models again only when out of date).

Data: the district lake of ``bench/site.py`` (``tests/accepted_batches.py`` built by dbt; made by
that benchmark when missing). One full build first (its ``run_results.json`` says how long the
catalogue's dbt nodes took inside it); then each run is a fresh process running the catalogue
DAG's task, ``catalogue_step``: the day after the build (models rebuilt for the new day) and the
same day (models current). Writes its section of RESULTS.md.
Usage: ``.venv/bin/python bench/catalogue.py [--scale district] [--runs 5]``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from options import arg
from results_md import write_section

HERE = Path(__file__).resolve().parent
KEY = "bench-key-not-secret"
BUILD = """
import json
from govlake.transform import build
result = build(full_refresh=True)
assert result.success, result.message
print(json.dumps({"seconds": result.seconds}))
"""
CHILD = """
import json, sys, time
t0 = time.perf_counter()
from govlake.pipeline import catalogue_step
summary = catalogue_step(sys.argv[1])
assert not summary["problems"], summary["problems"]
print(json.dumps({"seconds": time.perf_counter() - t0, "rebuilt": summary["models_rebuilt"]}))
"""


def _run(code: str, env: dict[str, str], *args: str) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, check=True
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return json.loads(out.stdout.strip().splitlines()[-1]) | {"wall": wall, "cpu": cpu}


def _catalogue_nodes(lake: Path) -> tuple[float, int]:
    """Seconds dbt spent on the catalogue's nodes (models, seeds, tests) in the last build."""
    results = json.loads((lake / "_build" / "dbt_target" / "run_results.json").read_text())
    mine = [r for r in results["results"] if "catalogue" in r["unique_id"]]
    return sum(r["execution_time"] for r in mine), len(mine)


def main() -> None:
    scale = arg("--scale", "district")
    runs = int(arg("--runs", "5"))
    lake = HERE / "_data" / "site" / scale / "lake"
    if not (lake / "warehouse.duckdb").exists():
        subprocess.run([sys.executable, str(HERE / "site.py"), "--scales", scale], check=True)
    env = os.environ | {"GOVLAKE_LAKE_ROOT": str(lake), "GOVLAKE_HMAC_KEY": KEY}
    load = os.getloadavg()[0]
    full = _run(BUILD, env)
    in_build, nodes = _catalogue_nodes(lake)
    today = dt.date.today()
    rows = {"next day (models rebuilt)": [], "same day (models current)": []}
    for i in range(runs):
        day = today + dt.timedelta(days=i + 1)
        rows["next day (models rebuilt)"].append(_run(CHILD, env, day.isoformat()))
        rows["same day (models current)"].append(_run(CHILD, env, day.isoformat()))
    lines = []
    for name, found in rows.items():
        assert all(r["rebuilt"] == name.startswith("next") for r in found), found
        wall = statistics.median(r["wall"] for r in found)
        cpu = statistics.median(r["cpu"] for r in found)
        inside = statistics.median(r["seconds"] for r in found)
        lines.append(f"| {name} | {wall:.1f} | {cpu:.1f} | {inside:.1f} |")
        print(lines[-1], flush=True)
    body = f"""## Catalogue on top of the build (models in the build, then the catalogue DAG's task)

Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores (CPython \
{platform.python_version()}), `bench/catalogue.py`; 1-min load average {load:.1f} when it \
started. Lake: {scale} scale from `tests/accepted_batches.py` (the one `bench/site.py` builds).

Inside the build: a full build took {full["seconds"]:.1f} s, of which the catalogue's {nodes} dbt \
nodes (seeds, models, tests; they run last, downstream of everything) took {in_build:.1f} s of \
dbt execution time.

The catalogue DAG's task (`catalogue_step`), a fresh process per run ({runs} runs, medians, \
seconds; *in the task*: from importing `govlake.pipeline` to the end):

| run | wall | CPU | in the task |
|---|---:|---:|---:|
{chr(10).join(lines)}

Target: under 5 s on top of the build for models + exports + site. After a build the catalogue
tables are current (the build made them for the day), so the task writes the exports and the site
only; once a day, or when files were delivered or gated without a build, it also rebuilds the
catalogue models on their own, and most of that is dbt's start-up and parse of the whole project
for a selection of a few nodes.
"""
    print(write_section("catalogue", body))


if __name__ == "__main__":
    main()
