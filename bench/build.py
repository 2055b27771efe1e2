"""Build benchmark: dbt full build at district scale, peak memory, an incremental build after one
new daily batch, and a no-op build. Writes its section of RESULTS.md.

Data: ``govlake.transform.fixture`` at district scale (567,851 persons, 30,000 legal entities)
written straight into the accepted zone (the real generator + gate are not in yet). Each build
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
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "message": r.message[:2000]}))
"""


def _env() -> dict[str, str]:
    return os.environ | {"GOVLAKE_LAKE_ROOT": str(LAKE), "GOVLAKE_HMAC_KEY": KEY}


def _build(mode: str) -> dict:
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", CHILD, mode], env=_env(), capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    wall = time.perf_counter() - started
    line = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else "{}"
    result = json.loads(line) if line.startswith("{") else {"ok": False, "message": out.stderr}
    result["wall"] = wall
    if not result.get("ok"):
        raise SystemExit(f"build failed: {result.get('message')}\n{out.stderr[-3000:]}")
    return result


def _generate(scale: str, day: dt.date, only: set[str] | None = None, seed: int = 42) -> float:
    from govlake.register import load_register
    from govlake.transform.fixture import generate

    started = time.perf_counter()
    generate(LAKE, load_register(), scale=scale, seed=seed, batch_date=day, key=KEY.encode(),
             only=only)  # fmt: skip
    return time.perf_counter() - started


def _size_mb(path: Path) -> float:
    return path.stat().st_size / 1e6 if path.exists() else 0.0


def main() -> None:
    if "--rebuild" in sys.argv or not (LAKE / "accepted").exists():
        shutil.rmtree(LAKE, ignore_errors=True)
        print(f"generating district-scale accepted zone: {_generate('district', DAY1):.1f} s")
    for extra in LAKE.glob("accepted/registered_person/batch_date=2026-11-03"):
        shutil.rmtree(extra)  # the incremental batch of an earlier run
    full = _build("full")
    print(f"full: {full['wall']:.1f} s wall, {full['rss_mb']:.0f} MB peak")
    _generate("small", DAY1 + dt.timedelta(days=1), only={"registered_person"}, seed=7)
    incremental = _build("auto")
    print(f"incremental: {incremental['wall']:.1f} s wall")
    noop = _build("auto")
    print(f"no-op: {noop['wall']:.1f} s wall")

    import duckdb

    con = duckdb.connect(str(LAKE / "warehouse.duckdb"), read_only=True)
    persons = con.execute("select count(*) from base.base_person").fetchone()[0]
    entities = con.execute("select count(*) from base.base_legal_entity").fetchone()[0]
    con.close()
    rows = [
        ("full build (`build(full_refresh=True)`)", full),
        ("incremental after one daily batch (5,000-row police delta)", incremental),
        ("no new batch (`build()`)", noop),
    ]
    lines = [
        "## Build (dbt on DuckDB: staging → 基础库 → themes → open)",
        "",
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores "
        f"(CPython {platform.python_version()}), `bench/build.py`. Data: district scale from "
        "`govlake.transform.fixture` (567,851 persons in households, 30,000 legal entities, "
        "all 15 resources) written into the accepted zone. Each build runs in a fresh process "
        "(times include interpreter + dbt start-up and parse); peak memory is that process's "
        "max RSS.",
        "",
        "| run | wall s | in-process s | peak RSS MB | dbt nodes |",
        "|---|---:|---:|---:|---|",
    ]
    for name, r in rows:
        nodes = ", ".join(f"{v} {k}" for k, v in sorted(r["nodes"].items())) or "dbt not started"
        lines.append(
            f"| {name} | {r['wall']:.1f} | {r['seconds']:.1f} | {r['rss_mb']:.0f} | {nodes} |"
        )
    lines += [
        "",
        f"Result: base_person {persons:,} rows, base_legal_entity {entities:,}; warehouse "
        f"{_size_mb(LAKE / 'warehouse.duckdb'):.0f} MB, restricted build database "
        f"{_size_mb(LAKE / '_build' / 'restricted.duckdb'):.0f} MB.",
        f"Targets: district full build < 60 s → **{full['wall']:.1f} s**; incremental < 10 s → "
        f"**{incremental['wall']:.1f} s**.",
        "City scale (~22M persons) not measured yet: generating it takes ~10 min here "
        "(`bench/sample.py`), and ingest + gate + build of it did not fit this session.",
    ]
    print(write_section("build", "\n".join(lines)))


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    main()
