"""The whole catalogue step on top of a build: dbt catalogue models + exports + site, as the
catalogue DAG runs it (``govlake.pipeline.catalogue_step``), at district scale.

Data: the district lake of ``bench/site.py`` (``tests/accepted_batches.py`` built by dbt; made by
that benchmark when missing). Each run is a fresh process, as an Airflow task would be: the
time includes importing dbt, rdflib and jinja2. Writes its section of
RESULTS.md.
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

from results_md import write_section

HERE = Path(__file__).resolve().parent
KEY = "bench-key-not-secret"
CHILD = """
import json, time
t0 = time.perf_counter()
from govlake.catalogue.export import export_catalogue
from govlake.catalogue.site import build_site
from govlake.pipeline import CATALOGUE_SELECTION
from govlake.transform import build
t1 = time.perf_counter()
result = build(CATALOGUE_SELECTION)
assert result.success, result.message
t2 = time.perf_counter()
files = export_catalogue()
t3 = time.perf_counter()
build_site()
t4 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "models": t2 - t1, "exports": t3 - t2, "site": t4 - t3,
                  "dbt": result.phases.get("dbt", 0.0), "nodes": result.nodes}))
"""


def _arg(name: str, default: str) -> str:
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


def main() -> None:
    scale = _arg("--scale", "district")
    runs = int(_arg("--runs", "5"))
    lake = HERE / "_data" / "site" / scale / "lake"
    if not (lake / "warehouse.duckdb").exists():
        subprocess.run([sys.executable, str(HERE / "site.py"), "--scales", scale], check=True)
    env = os.environ | {"GOVLAKE_LAKE_ROOT": str(lake), "GOVLAKE_HMAC_KEY": KEY}
    load = os.getloadavg()[0]
    results = []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=True
        )
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
        results.append(json.loads(out.stdout.strip().splitlines()[-1]) | {"wall": wall, "cpu": cpu})
        print(results[-1], flush=True)
    keys = ("wall", "cpu", "import", "models", "dbt", "exports", "site")
    med = {k: statistics.median(r[k] for r in results) for k in keys}
    in_task = med["models"] + med["exports"] + med["site"]
    body = f"""## Catalogue step (`govlake catalog build`: dbt catalogue models + exports + site)

Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores (CPython \
{platform.python_version()}), `bench/catalogue.py`; 1-min load average {load:.1f} when it \
started. Lake: {scale} scale from `tests/accepted_batches.py` (the one `bench/site.py` builds). \
Each run is a fresh process running what the catalogue DAG's task runs ({runs} runs, medians, \
seconds): the dbt catalogue models rebuilt on their own (`build(CATALOGUE_SELECTION)`: copy of \
the warehouse, dbt, swap), then the exports and the site.

| scale | wall | CPU | imports | models (of which dbt) | exports | site | models + exports + site |
|---|---:|---:|---:|---:|---:|---:|---:|
| {scale} | {med["wall"]:.1f} | {med["cpu"]:.1f} | {med["import"]:.1f} | \
{med["models"]:.1f} ({med["dbt"]:.1f}) | {med["exports"]:.1f} | {med["site"]:.1f} | \
{in_task:.1f} |

Target: under 5 s on top of the build for models + exports + site: the last column is that work
in a process that has imported the stack; *wall* adds a fresh process's imports and start-up.
Most of the models' time is dbt's own start-up and parse of the whole project for a selection
of a few nodes, and copying the warehouse aside (the build's atomic swap).
"""
    print(write_section("catalogue", body))


if __name__ == "__main__":
    main()
