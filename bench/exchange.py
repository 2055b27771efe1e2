"""The exchange at district scale: the sample grants' first deliveries, and a no-op re-run.

Data: the district lake of ``bench/site.py`` (``tests/accepted_batches.py`` built by dbt; made
here when missing). Each run starts from an empty exchange, records the sample activity
(``catalog/exchange/sample.yml``: 3 subscriptions, 2 approved requests, a rejected and a pending
one, a demand), then runs the exchange DAG's work in a fresh process — demands matched,
deliveries, the catalogue site rebuilt — and then the same again with nothing new (the no-op
re-run). Writes its section of RESULTS.md.
Usage: ``.venv/bin/python bench/exchange.py [--scale district] [--runs 3]``.
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

from options import arg
from results_md import write_section

HERE = Path(__file__).resolve().parent
DATA = HERE / "_data" / "site"  # shared with bench/site.py and bench/catalogue.py
KEY = "bench-key-not-secret"
DAY = dt.date(2026, 11, 2)
PREPARE = """
import datetime as dt, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[2])  # tests/: the accepted-zone test data
from accepted_batches import generate
from govlake.register import load_register
from govlake.transform import build
generate(Path(sys.argv[1]), load_register(), scale=sys.argv[3], batch_date=dt.date(2026, 11, 2),
         key=b"bench-key-not-secret")
r = build()
assert r.success, r.message
"""
SEED = """
from govlake.exchange import load_rules
from govlake.exchange.sample import seed_sample
from govlake.lake import Lake
from govlake.settings import get_settings
s = get_settings()
print(seed_sample(load_rules(), Lake(s.lake_root), s.register_dir))
"""
CHILD = """
import json, time
t0 = time.perf_counter()
from govlake.catalogue.site import build_site
from govlake.exchange import Exchange, load_rules
from govlake.exchange.deliver import deliver
from govlake.lake import Lake
t1 = time.perf_counter()
rules = load_rules()
Exchange(rules, Lake.default()).match_demands()
t2 = time.perf_counter()
report = deliver(rules)
t3 = time.perf_counter()
build_site()
t4 = time.perf_counter()
assert not report.problems, report.problems
print(json.dumps({"import": t1 - t0, "rules": t2 - t1, "deliver": t3 - t2, "site": t4 - t3,
                  "delivered": report.delivered}))
"""


def built_lake(lake: Path, env: dict[str, str], scale: str) -> None:
    """The bench lake of ``scale`` (accepted zone + build), made once and reused."""
    if not (lake / "warehouse.duckdb").exists():
        shutil.rmtree(lake, ignore_errors=True)
        subprocess.run(
            [sys.executable, "-c", PREPARE, str(lake), str(HERE.parent / "tests"), scale],
            env=env, check=True,
        )  # fmt: skip


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


def _seed(env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-c", SEED], env=env, check=True, capture_output=True)


def main() -> None:
    scale = arg("--scale", "district")
    runs = int(arg("--runs", "3"))
    lake = DATA / scale / "lake"
    env = os.environ | {"GOVLAKE_LAKE_ROOT": str(lake), "GOVLAKE_HMAC_KEY": KEY}
    built_lake(lake, env, scale)
    load = os.getloadavg()[0]
    first, again = [], []
    for _ in range(runs):
        shutil.rmtree(lake / "exchange", ignore_errors=True)
        _seed(env)
        first.append(_run(CHILD, env))
        again.append(_run(CHILD, env))
        assert again[-1]["delivered"] == [], again[-1]["delivered"]
    delivered = first[-1]["delivered"]
    out = lake / "exchange"
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file() and "_log" not in p.parts)
    lines = []
    for name, found in (("first delivery", first), ("no-op re-run", again)):
        med = {k: statistics.median(r[k] for r in found) for k in
               ("wall", "cpu", "import", "rules", "deliver", "site")}  # fmt: skip
        lines.append(
            f"| {name} | {med['wall']:.2f} | {med['cpu']:.2f} | {med['import']:.2f} | "
            f"{med['rules']:.2f} | {med['deliver']:.2f} | {med['site']:.2f} |"
        )
        print(lines[-1], flush=True)
    grants = "\n".join(
        f"| {d['grant']} | {d['grantee']} | {d['resource']} | {d['rows']:,} |" for d in delivered
    )
    body = f"""## Exchange deliveries (`bench/exchange.py`)

Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores (CPython \
{platform.python_version()}); 1-min load average {load:.1f} when it started (other work shared \
the machine). Lake: {scale} scale from `tests/accepted_batches.py` built by dbt (the one \
`bench/site.py` uses). Each run starts from an empty exchange with the sample activity of \
`catalog/exchange/sample.yml` recorded, then runs the exchange DAG's work in a fresh process, \
then the same again with nothing new. {runs} runs, medians, seconds: *wall* the whole process, \
*CPU* its user + system time, *import* the exchange and site modules, *rules* the catalogue \
entries and legal bases plus matching the demand list, *deliver* every grant's new batches \
(read, scope, pseudonymise, write Parquet/CSV aside and rename, sha256, receipt), *site* the \
catalogue site rebuilt to show them.

| run | wall | CPU | import | rules | deliver | site |
|---|---:|---:|---:|---:|---:|---:|
{chr(10).join(lines)}

What the first run delivers ({len(delivered)} receipts, {size / 1e6:.1f} MB of Parquet and CSV in
the outboxes):

| grant | grantee | resource | rows |
|---|---|---|---:|
{grants}

The no-op re-run reads the log (receipts say what each department has), the accepted parts'
names and the warehouse's build state, and writes nothing but the site.
"""
    print(write_section("exchange", body))


if __name__ == "__main__":
    main()
