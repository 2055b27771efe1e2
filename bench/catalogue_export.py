# ruff: noqa: E501 -- the RESULTS.md section is a template of long Markdown lines
"""Catalogue exports benchmark: ``export_catalogue`` (JSON, CSV ×2, XLSX, DCAT Turtle + JSON-LD)
on a built warehouse, each run in a fresh process as ``govlake catalog export`` would run, plus
where the time goes. Writes its section of RESULTS.md.

The exports read only the catalogue tables (one row per catalogue entry, one per 信息项), so
their cost follows the number of entries, not the rows of the data: a tiny lake has the same
31 entries and 264 信息项 as a district one. Default lake: ``bench/_data/catalogue/lake``, built
from ``tests/accepted_batches.py`` (tiny) when missing; ``--lake PATH`` uses another built lake.
Usage: ``.venv/bin/python bench/catalogue_export.py [--lake PATH] [--runs 5]``.
"""

from __future__ import annotations

import argparse
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
LAKE = HERE / "_data" / "catalogue" / "lake"
KEY = "bench-key-not-secret"
BUILD = """
import datetime as dt, sys
from pathlib import Path
sys.path.insert(0, sys.argv[3])  # the dbt tests' accepted-zone data
from accepted_batches import generate
from govlake.register import load_register
from govlake.transform import build
root = Path(sys.argv[1])
generate(root, load_register(), scale="tiny", batch_date=dt.date(2026, 11, 2), key=sys.argv[2].encode())
r = build()
sys.exit(0 if r.success else r.message)
"""
CHILD = """
import json, resource, sys, time
from pathlib import Path
t0, c0 = time.perf_counter(), time.process_time()
from govlake.catalogue import dcat, export
from govlake.settings import get_settings
t1, c1 = time.perf_counter(), time.process_time()
settings = get_settings()
paths = export.export_catalogue(settings, Path(sys.argv[1]))
t2, c2 = time.perf_counter(), time.process_time()
# where the time goes: the same steps again, warm (only in "steps" runs)
out, phases, counts = Path(sys.argv[1]), {}, {}
def step(name, fn, *args):
    t = time.process_time(); value = fn(*args); phases[name] = time.process_time() - t
    return value
if sys.argv[2] == "steps":
    cat = step("read tables", export.read_catalogue, settings)
    step("json", export.write_json, cat, out / "catalogue.json")
    res = step("tables", export.resource_table, cat)
    items = export.item_table(cat)
    step("csv x2", lambda: (export.write_csv(*res, out / "catalogue.csv"),
                            export.write_csv(*items, out / "catalogue_items.csv")))
    step("xlsx", export.write_xlsx, [("信息资源", *res), ("信息项", *items)], out / "catalogue.xlsx")
    graph = step("dcat graph", dcat.catalogue_graph, cat, settings)
    step("turtle", dcat.to_turtle, graph)
    step("json-ld", dcat.to_jsonld, graph)
    counts = {"entries": len(cat.resources), "items": sum(map(len, cat.items.values())),
              "triples": len(graph)}
print(json.dumps({"import": t1 - t0, "export": t2 - t1, "import_cpu": c1 - c0,
                  "export_cpu": c2 - c1, "phases": phases,
                  "files": {p.name: p.stat().st_size for p in paths}, **counts,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _env(lake: Path) -> dict[str, str]:
    return os.environ | {"GOVLAKE_LAKE_ROOT": str(lake), "GOVLAKE_HMAC_KEY": KEY}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(lake: Path, out: Path, mode: str) -> dict:
    cpu = _children_cpu()
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(out), mode],
        env=_env(lake),
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"export failed:\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["wall"] = wall
    result["cpu"] = _children_cpu() - cpu
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lake", type=Path, default=LAKE)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    lake = args.lake.resolve()
    if not (lake / "warehouse.duckdb").exists():
        print(f"building a tiny lake in {lake} …", flush=True)
        subprocess.run(
            [sys.executable, "-c", BUILD, str(lake), KEY, str(HERE.parent / "tests")],
            env=_env(lake),
            check=True,
        )
    load = os.getloadavg()[0]
    out = lake.parent / "exports-bench"
    runs = [_run(lake, out, "export") for _ in range(args.runs)]
    step_runs = [_run(lake, out, "steps") for _ in range(args.runs)]
    runs.sort(key=lambda r: r["wall"])
    median = runs[len(runs) // 2]
    walls = [r["wall"] for r in runs]
    phases = {
        k: statistics.median(r["phases"][k] for r in step_runs) for k in step_runs[0]["phases"]
    }
    sizes = ", ".join(f"{name} {size / 1024:.0f} KB" for name, size in median["files"].items())
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = f"""
## Catalogue exports (`export_catalogue`: JSON, CSV ×2, XLSX, DCAT-AP Turtle + JSON-LD)

Measured {now} on {os.cpu_count()} cores (CPython {platform.python_version()}), `bench/catalogue_export.py`; 1-min load average {load:.1f} when it started. Lake: `tests/accepted_batches.py` tiny, built once; the exports read only the catalogue tables ({step_runs[0]["entries"]} entries, {step_runs[0]["items"]} 信息项, {step_runs[0]["triples"]} DCAT triples), which are the same at district scale, so the figure stands for the district. Each run is a fresh process running `export_catalogue` once; {args.runs} runs, the median shown (the step breakdown comes from {args.runs} further runs that repeat the steps warm).

| | wall s | CPU s |
|---|---:|---:|
| whole process (interpreter start-up, imports, export, exit) | {median["wall"]:.2f} (runs {min(walls):.2f}-{max(walls):.2f}) | {median["cpu"]:.2f} |
| imports (`govlake.catalogue.export`, `.dcat`: rdflib, pydantic register) | {median["import"]:.2f} | {median["import_cpu"]:.2f} |
| `export_catalogue`, first call (imports duckdb, openpyxl and rdflib's serialisers on the way) | {median["export"]:.2f} | {median["export_cpu"]:.2f} |
| `export_catalogue`'s steps again, warm (CPU) | | {sum(phases.values()):.2f} |

Warm steps (CPU s, median): {", ".join(f"{k} {v:.3f}" for k, v in phases.items())}. Files: {sizes}. Peak RSS {median["rss_mb"]:.0f} MB.
Target (issue #12): catalogue models + exports + site < 5 s on top of the build. The exports' share: {median["cpu"]:.1f} CPU s as their own process (`govlake catalog export`), {median["export_cpu"]:.1f} CPU s inside a process that already runs the catalogue task. With the machine shared (load above 2 on 2 cores), wall times are inflated by waiting for a core; the CPU column is the figure to compare.
"""
    print(write_section("catalogue-export", body))


if __name__ == "__main__":
    main()
