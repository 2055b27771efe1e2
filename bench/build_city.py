"""City-scale build benchmark: dbt full build over ~21.9M persons and 1.5M legal entities, with
peak memory. Writes the ``build-city`` section of RESULTS.md.

Data: ``govlake.sample.generate(scale="city", defect_rate=0)`` with a writer that puts each
resource straight into the accepted zone, exactly as ingest + gate would leave it for a batch
without defects (the register's fields as delivered text, HMAC pseudonyms, audit columns; the
schema is ``govlake.ingest.raw.raw_schema``). Delivery formats, ingest and the gate are skipped:
they are measured at district scale by ``ingest.py`` / ``quality.py``, and formatting 22M rows
as CSV/xlsx only to parse them again would add ~15 min here without telling anything about dbt.
The data is cached in ``bench/_data/city`` (``--rebuild`` regenerates).

Then the day after: ``govlake.sample.delta`` (1% of persons changed, some deregistered with
注销, the month's enrolment changes, entities struck off) written the same way, and an
incremental build. The build runs under ``GOVLAKE_BUILD_MEMORY_LIMIT`` (default 4GB).

Usage: ``flock /work/wt/_city/heavy.lock .venv/bin/python bench/build_city.py [--rebuild]
[--report] [--no-delta] [--clean]`` (``--report`` rewrites the section from the last recorded
run, ``bench/_data/city/build.json``, without building; ``--clean`` removes the city lake
afterwards).
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

import pyarrow as pa
import pyarrow.parquet as pq
from results_md import write_section

HERE = Path(__file__).resolve().parent
SCALE = os.environ.get("GOVLAKE_BENCH_SCALE", "city")  # tiny: a smoke test of this script
DATA = HERE / "_data" / SCALE
LAKE = DATA / "lake"
DAY = dt.date(2026, 11, 2)
KEY = "bench-key-not-secret"
CHILD = """
import json, resource, sys, time
from govlake.transform import build
t = time.perf_counter()
r = build(full_refresh=sys.argv[1] == "full")
u = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"seconds": time.perf_counter() - t, "ok": r.success, "nodes": r.nodes,
                  "cpu": u.ru_utime + u.ru_stime, "rss_mb": u.ru_maxrss / 1024,
                  "full": r.full_refresh, "phases": r.phases, "message": r.message[:2000]}))
"""
DELTA_CHILD = """
import datetime as dt, json, resource, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from build_city import AcceptedWriter
from govlake.sample.delta import generate_delta
t = time.perf_counter()
r = generate_delta(Path(sys.argv[1]), day=dt.date.fromisoformat(sys.argv[2]), seed=7,
                   writer=AcceptedWriter)
u = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"seconds": time.perf_counter() - t, "ok": True, "rows": r.rows,
                  "left": len(r.left), "changed": len(r.changed), "born": len(r.born),
                  "struck_off": len(r.struck_off), "cpu": u.ru_utime + u.ru_stime,
                  "rss_mb": u.ru_maxrss / 1024}))
"""


class AcceptedWriter:
    """``govlake.sample``'s writer interface, writing ``accepted/<resource>/…/part-<b>.parquet``."""

    def __init__(self, res, lake_root: Path, batch_date: dt.date, scratch: Path,
                 delivery=None):  # fmt: skip
        # ``delivery`` (completion markers) concerns landing files: none written here
        from govlake.ingest.raw import raw_schema
        from govlake.lake import Lake

        self.resource, self.rows = res, 0
        self.batch_id = f"city-{res.id}-{batch_date:%Y%m%d}"
        folder = Lake(lake_root).accepted(res.id) / f"batch_date={batch_date}"
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"part-{self.batch_id}.parquet"
        self.tmp = folder / f".part-{self.batch_id}.parquet.partial"
        self.schema = raw_schema(res)
        self.source = f"landing/{res.department}/{res.id}/{batch_date}/{res.id}"
        self.at = dt.datetime.combine(batch_date, dt.time(6), tzinfo=dt.UTC)
        self.writer = pq.ParquetWriter(self.tmp, self.schema)

    def append(self, columns: dict[str, list[str | None]]) -> int:
        from collections import Counter

        from govlake.ingest.raw import raw_chunk

        start = self.rows
        cols = {f.name: pa.array(columns[f.name], pa.string()) for f in self.resource.fields}
        n = len(next(iter(cols.values())))
        rows = pa.array(range(start + 1, start + n + 1), pa.int64())
        audit = (self.batch_id, self.source, self.at)
        table = raw_chunk(cols, self.resource, rows, key=KEY.encode(), audit=audit,
                          invalid=Counter())  # fmt: skip
        self.writer.write_table(table)
        self.rows += n
        return start

    def locate(self, row: int) -> tuple[str, int]:
        return str(self.path), row + 1

    def close(self) -> list[Path]:
        self.writer.close()
        os.replace(self.tmp, self.path)
        return [self.path]

    def abort(self) -> None:
        self.writer.close()
        self.tmp.unlink(missing_ok=True)


def _generate() -> tuple[float, float, dict[str, int]]:
    from govlake.sample import generate

    shutil.rmtree(DATA, ignore_errors=True)
    started = time.perf_counter()
    result = generate(LAKE, scale=SCALE, seed=7, defect_rate=0.0, batch_date=DAY,
                      writer=AcceptedWriter)  # fmt: skip
    seconds = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    record = {"seconds": seconds, "rss_mb": rss, "rows": result.rows}
    (DATA / "generated.json").write_text(json.dumps(record))
    return seconds, rss, result.rows


def _child(code: str, *args: str) -> dict:
    """Run ``code`` in a fresh process (its peak RSS is its own); wall time measured here."""
    limit = os.environ.get("GOVLAKE_BUILD_MEMORY_LIMIT", "4GB")
    env = os.environ | {"GOVLAKE_LAKE_ROOT": str(LAKE), "GOVLAKE_HMAC_KEY": KEY,
                        "GOVLAKE_BUILD_MEMORY_LIMIT": limit}  # fmt: skip
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True,
                         text=True, check=False)  # fmt: skip
    wall = time.perf_counter() - started
    line = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else "{}"
    result = json.loads(line) if line.startswith("{") else {"ok": False, "message": out.stderr}
    result["wall"] = wall
    result["memory_limit"] = limit
    result["at"] = f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M}"
    if not result.get("ok"):
        raise SystemExit(f"{args} failed: {result.get('message')}\n{out.stderr[-3000:]}")
    return result


def _build(mode: str = "full") -> dict:
    return _child(CHILD, mode)


def _delta() -> dict:
    """The day after: ``govlake.sample.delta`` written straight to the accepted zone."""
    return _child(DELTA_CHILD, str(LAKE), str(DAY + dt.timedelta(days=1)), str(HERE))


def _sizes() -> dict[str, float]:
    def mb(path: Path) -> float:
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        return sum(p.stat().st_size for p in files) / 1e6

    return {"accepted": mb(LAKE / "accepted"), "warehouse": mb(LAKE / "warehouse.duckdb"),
            "restricted": mb(LAKE / "_build" / "restricted.duckdb")}  # fmt: skip


def _count(table: str) -> int:
    import duckdb

    con = duckdb.connect(str(LAKE / "warehouse.duckdb"), read_only=True)
    try:
        return con.sql(f"select count(*) from {table}").fetchone()[0]
    finally:
        con.close()


def _slowest(n: int = 5) -> list[tuple[str, float]]:
    """The dbt nodes that took longest in the last build (run_results.json)."""
    results = json.loads((LAKE / "_build" / "dbt_target" / "run_results.json").read_text())
    ranked = sorted(results["results"], key=lambda r: -r["execution_time"])[:n]
    return [(r["unique_id"].split(".")[-1], r["execution_time"]) for r in ranked]


def main() -> None:
    meta = DATA / "generated.json"
    if "--rebuild" in sys.argv or not meta.exists():
        print("generating the city-scale accepted zone …", flush=True)
        _generate()
    generated = json.loads(meta.read_text())
    rows = generated["rows"]
    print(f"generated {sum(rows.values()):,} rows in {generated['seconds']:.0f} s", flush=True)
    if "--report" in sys.argv:
        _report(rows, generated, json.loads((DATA / "build.json").read_text()))
        return
    (LAKE / "warehouse.duckdb").unlink(missing_ok=True)  # a full build from nothing
    for stale in ("_build", "curated"):
        shutil.rmtree(LAKE / stale, ignore_errors=True)
    for old in (LAKE / "accepted").glob(f"*/batch_date={DAY + dt.timedelta(days=1)}"):
        shutil.rmtree(old)  # an earlier run's daily delta
    record: dict = {"full": _build("full")}
    full = record["full"]
    print(f"full build: {full['wall']:.1f} s, peak {full['rss_mb']:.0f} MB", flush=True)
    record["slowest_full"] = _slowest()
    (DATA / "build.json").write_text(json.dumps(record))
    if "--no-delta" not in sys.argv:
        record["delta"] = _delta()
        print(f"daily delta written: {record['delta']['wall']:.1f} s", flush=True)
        record["incremental"] = _build("incremental")
        inc = record["incremental"]
        print(f"incremental build: {inc['wall']:.1f} s, peak {inc['rss_mb']:.0f} MB", flush=True)
        record["slowest_incremental"] = _slowest()
    (DATA / "build.json").write_text(json.dumps(record))
    _report(rows, generated, record)
    if "--clean" in sys.argv:
        shutil.rmtree(DATA, ignore_errors=True)  # ~12 GB of city lake: figures are in RESULTS.md


def _row(name: str, run: dict) -> str:
    nodes = ", ".join(f"{v} {k}" for k, v in run.get("nodes", {}).items()) or "—"
    return (f"| {name} | {run['wall']:.1f} | {run.get('seconds', 0):.1f} | "
            f"{run.get('cpu', 0):.0f} | {run['rss_mb']:,.0f} | {nodes} |")  # fmt: skip


def _report(rows: dict[str, int], generated: dict, record: dict) -> None:
    full = record["full"]
    sizes = _sizes()
    persons, entities = _count("base.base_person"), _count("base.base_legal_entity")
    gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    table = [
        "| run | wall s | in-process s | CPU s | peak RSS MB | dbt nodes |",
        "|---|---:|---:|---:|---:|---|",
        _row(f"full build (`build(full_refresh=True)`, memory_limit {full['memory_limit']})", full),
    ]
    delta, inc = record.get("delta"), record.get("incremental")
    if delta:
        table.append(_row(
            f"daily delta written (`govlake.sample.delta`: {delta['left']:,} persons left, "
            f"{delta['changed']:,} changed, {delta['born']:,} born, {delta['struck_off']:,} "
            f"entities struck off; rows {delta['rows']})", delta))  # fmt: skip
    if inc:
        table.append(_row("incremental build after the daily delta (`build()`)", inc))
    limit_gib = full["rss_mb"] / 1024
    lines = [
        "## Build at city scale (~21.9M persons)",
        "",
        f"Measured {full['at']} UTC on {os.cpu_count()} cores, {gib:.0f} GiB "
        f"(CPython {platform.python_version()}), `bench/build_city.py`. Data: `govlake.sample` "
        "at city scale (seed 7, no defects) written straight into the accepted zone with the "
        "raw contract's schema (delivery formats, ingest and gate skipped; see the script's "
        f"docstring): {sum(rows.values()):,} rows, {rows['registered_person']:,} persons, "
        f"{rows['enterprise_registration']:,} market registrations; accepted Parquet "
        f"{sizes['accepted']:,.0f} MB; generated in {generated['seconds']:.0f} s "
        f"(peak {generated['rss_mb']:,.0f} MB). Each run is a fresh process; CPU s is user + "
        "system time of that process (the machine is shared with other work).",
        "",
        *table,
        "",
        f"Result: base_person {persons:,} rows, base_legal_entity {entities:,}; warehouse "
        f"{sizes['warehouse']:,.0f} MB, restricted build database {sizes['restricted']:,.0f} MB. "
        f"Targets: full build peak RSS < 6 GiB → **{limit_gib:.1f} GiB**; < 5 minutes → "
        f"**{full['wall'] / 60:.1f} min**"
        + (f"; the daily delta's incremental build: **{inc['wall']:.0f} s**." if inc else "."),
        "",
        "Slowest dbt nodes of the full build (seconds, 2 threads): "
        + ", ".join(f"`{name}` {t:.0f}" for name, t in record.get("slowest_full", []))
        + ".",
        *(
            [
                "",
                "Slowest of the incremental build: "
                + ", ".join(
                    f"`{name}` {t:.1f}" for name, t in record.get("slowest_incremental", [])
                )
                + "; phases (s): "
                + ", ".join(f"{k} {v:.1f}" for k, v in inc.get("phases", {}).items())
                + ".",
            ]
            if inc
            else []
        ),
        *(["", f"Note: {record['note']}"] if record.get("note") else []),
    ]
    text = "\n".join(lines)
    print(write_section("build-city", text) if SCALE == "city" else text)


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent / "src"))
    main()
