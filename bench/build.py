"""Build benchmark: dbt full build at district scale, peak memory, incremental builds after each of
two new daily batches, and a no-op build; where the incremental time goes (build phases, slowest
dbt nodes). Writes its section of RESULTS.md.

Data: ``tests/accepted_batches.py`` at district scale (567,851 persons, 30,000 legal entities)
written straight into the accepted zone (no ingest and gate: only the build is measured). Each build
runs in a fresh subprocess, so the time includes Python/dbt start-up as ``govlake build`` would,
and peak memory is that process's max RSS.
Usage: ``.venv/bin/python bench/build.py [--rebuild]``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

from results_md import write_section

HERE = Path(__file__).resolve().parent
LAKE = HERE / "_data" / "build" / "lake"
DAY1 = dt.date(2026, 11, 2)
KEY = "bench-key-not-secret"
CHILD = """
import json, os, resource, sys, time
from govlake.transform import build
t = time.perf_counter()
r = build(full_refresh=sys.argv[1] == "full")
print(json.dumps({"seconds": time.perf_counter() - t, "ok": r.success, "skipped": r.skipped,
                  "full": r.full_refresh, "new": len(r.new_batches), "nodes": r.nodes,
                  "phases": r.phases,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "message": r.message[:2000]}))
"""


def _env() -> dict[str, str]:
    return os.environ | {"GOVLAKE_LAKE_ROOT": str(LAKE), "GOVLAKE_HMAC_KEY": KEY}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _slowest_nodes(n: int = 6) -> str:
    """The slowest nodes of the last dbt run (its run_results.json)."""
    path = LAKE / "_build" / "dbt_target" / "run_results.json"
    results = json.loads(path.read_text())["results"]
    results.sort(key=lambda r: -r["execution_time"])
    return ", ".join(
        f"{r['unique_id'].split('.')[2]} {r['execution_time']:.2f}" for r in results[:n]
    )


def _phases(r: dict) -> str:
    return ", ".join(f"{k} {v:.1f}" for k, v in r["phases"].items())


def _build(mode: str) -> dict:
    cpu_before = _children_cpu()
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", CHILD, mode], env=_env(), capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    wall = time.perf_counter() - started
    line = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else "{}"
    result = json.loads(line) if line.startswith("{") else {"ok": False, "message": out.stderr}
    result["wall"] = wall
    result["cpu"] = _children_cpu() - cpu_before
    if not result.get("ok"):
        raise SystemExit(f"build failed: {result.get('message')}\n{out.stderr[-3000:]}")
    return result


def _generate(scale: str, day: dt.date, only: set[str] | None = None, seed: int = 42) -> float:
    sys.path.insert(0, str(HERE.parent / "tests"))  # the dbt tests' accepted-zone data
    from accepted_batches import generate

    from govlake.register import load_register

    started = time.perf_counter()
    generate(LAKE, load_register(), scale=scale, seed=seed, batch_date=day, key=KEY.encode(),
             only=only)  # fmt: skip
    return time.perf_counter() - started


def _size_mb(path: Path) -> float:
    return path.stat().st_size / 1e6 if path.exists() else 0.0


def _data_fingerprint() -> str:
    """What the cached accepted zone was made from: the register and the generator (a field
    added to the register since makes the cache stale)."""
    import hashlib

    digest = hashlib.sha256()
    sources = sorted((HERE.parent / "catalog").rglob("*.yml"))
    for path in [*sources, HERE.parent / "tests" / "accepted_batches.py"]:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def main() -> None:
    marker = LAKE / "data.sha256"
    stale = not marker.exists() or marker.read_text() != _data_fingerprint()
    if "--rebuild" in sys.argv or stale:
        shutil.rmtree(LAKE, ignore_errors=True)
        print(f"generating district-scale accepted zone: {_generate('district', DAY1):.1f} s")
        marker.write_text(_data_fingerprint())
    for extra in LAKE.glob("accepted/registered_person/batch_date=2026-11-0[34]"):
        shutil.rmtree(extra)  # the incremental batches of an earlier run
    load = os.getloadavg()[0]
    full = _build("full")
    print(f"full: {full['wall']:.1f} s wall, {full['rss_mb']:.0f} MB peak")
    incremental = []
    for day in (1, 2):
        _generate("small", DAY1 + dt.timedelta(days=day), only={"registered_person"}, seed=6 + day)
        run = _build("auto")
        run["slowest"] = _slowest_nodes()
        incremental.append(run)
        print(f"incremental day {day + 1}: {run['wall']:.1f} s wall ({_phases(run)})")
    noop = _build("auto")
    print(f"no-op: {noop['wall']:.1f} s wall")

    import duckdb

    con = duckdb.connect(str(LAKE / "warehouse.duckdb"), read_only=True)
    persons = con.execute("select count(*) from base.base_person").fetchone()[0]
    entities = con.execute("select count(*) from base.base_legal_entity").fetchone()[0]
    con.close()
    rows = [
        ("full build (`build(full_refresh=True)`)", full),
        ("incremental after one daily batch (5,000-row police delta, day 2)", incremental[0]),
        ("incremental after the next daily batch (day 3)", incremental[1]),
        ("no new batch (`build()`)", noop),
    ]
    lines = [
        "## Build (dbt on DuckDB: staging → 基础库 → themes → open)",
        "",
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores "
        f"(CPython {platform.python_version()}), `bench/build.py`; 1-min load average "
        f"{load:.1f} when it started (other benchmarks shared the machine: wall times are "
        "noisy, CPU s less so). Data: district scale from `tests/accepted_batches.py` "
        "(567,851 persons in households, 30,000 legal entities, all 15 resources) written into "
        "the accepted zone. Each build runs in a fresh process (times include interpreter + dbt "
        "start-up and parse); peak memory is that process's max RSS, CPU s its user + system "
        "time.",
        "",
        "| run | wall s | in-process s | CPU s | peak RSS MB | dbt nodes |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for name, r in rows:
        nodes = ", ".join(f"{v} {k}" for k, v in sorted(r["nodes"].items())) or "dbt not started"
        lines.append(
            f"| {name} | {r['wall']:.1f} | {r['seconds']:.1f} | {r['cpu']:.1f} "
            f"| {r['rss_mb']:.0f} | {nodes} |"
        )
    worst = max(r["wall"] for r in incremental)
    lines += [
        "",
        f"Result: base_person {persons:,} rows, base_legal_entity {entities:,}; warehouse "
        f"{_size_mb(LAKE / 'warehouse.duckdb'):.0f} MB, restricted build database "
        f"{_size_mb(LAKE / '_build' / 'restricted.duckdb'):.0f} MB.",
        f"Targets: district full build < 60 s → **{full['wall']:.1f} s**; incremental < 10 s → "
        f"**{incremental[0]['wall']:.1f} s / {incremental[1]['wall']:.1f} s** "
        f"({'met' if worst < 10 else 'missed'}).",
        "",
        "Where an incremental build's time goes (`BuildResult.phases`, seconds; the rest of the "
        "wall time is interpreter start-up and exit):",
        "",
    ]
    for day, r in enumerate(incremental, start=2):
        lines.append(f"- day {day}: {_phases(r)}; slowest dbt nodes: {r['slowest']}")
    lines += [
        "",
        "The incremental run selects the touched source and what is downstream (32 of 148 "
        "nodes: 8 models, 24 tests). What brought it down from 12.4 s: `base_person` and "
        "`base_household` are "
        "incremental (only the changed persons and households are recomputed; a post-hook moves "
        "ages to the new as-of date) instead of rewriting ~570k and ~220k rows (3.0 s and 0.9 s "
        "before), and so is `conflicts` (0.5 s before); the population cube no longer makes "
        "DuckDB import pandas (nor numpy when no cell needs suppressing), and nor do the "
        "build-state and export queries (no query parameters; 0.4-0.5 s each time); only the "
        "tables the run rebuilt are exported to curated Parquet; `manifest.json` is not "
        "rewritten (twice) on incremental runs; the register-rendered YAML uses libyaml; objects "
        "alive after importing dbt are frozen out of the cyclic GC (~0.5 s less at interpreter "
        "exit); the JSON schemas dbt derives to validate `dbt_project.yml` and the profile "
        "(~0.7-0.9 s per process) are kept in a file (`govlake/patches/dbt.py`). Partial "
        "parsing was already warm for incremental runs (run parameters are "
        "environment variables read only at execution; `tests/test_dbt.py` checks it); the only "
        "full re-parses seen came after project files had changed.",
        "What still dominates: fixed start-up (Python + `import dbt` 1.6-2.7 s, mostly "
        "mashumaro generating dbt's (de)serialisers; adapter and manifest load ~1 s), dbt's "
        "per-node overhead over 32 nodes (~50 ms for a trivial test), "
        "the curated Parquet export of `base_person` (~0.8 s CPU: 45 MB, mostly the 64-hex "
        "pseudonyms) and the checkpoint when the DuckDB files close. The copy of both DuckDB "
        "files for the atomic swap costs < 0.1 s (page cache). The same code on this VM "
        "varies by ~15% between runs half an hour apart (`dbt import` alone 1.6-2.6 s), which "
        "puts incremental builds on either side of 10 s; about half of one is fixed start-up.",
        "City scale (~22M persons): see 'City scale end to end' below (`bench/city.py`).",
    ]
    print(write_section("build", "\n".join(lines)))


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    main()
