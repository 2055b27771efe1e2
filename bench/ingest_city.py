# ruff: noqa: E501  (the RESULTS.md text is kept as written)
"""City-scale ingest + quality gate against the floor of the same files (issue #16).

Usage: ``python bench/ingest_city.py LANDING WORK`` with LANDING a city-scale landing zone
(``govlake sample --scale city``); WORK is a scratch folder (a lake whose landing zone is
hard-linked from LANDING: ingest never modifies landing files). Wrap it in
``flock /work/wt/_city/heavy.lock`` on a shared machine.

*Floor*: each delivered file decoded to UTF-8 (``iconv`` for GB18030) and copied to Parquet by
DuckDB (``COPY (SELECT * FROM read_csv/read_json/read_xlsx(..., all_varchar)) TO parquet``),
one after the other, timed in this process. *Ours*: ``govlake ingest`` (every resource: ingest,
then the quality gate with Great Expectations) in a fresh process under ``/usr/bin/time -v``.
Both in the same run; the figures go to the ``ingest_city`` section of bench/RESULTS.md.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from results_md import write_section

ROOT = Path(__file__).resolve().parents[1]
MARKERS = (".ok", "_SUCCESS")


def _files(landing: Path) -> list[Path]:
    return sorted(p for p in landing.rglob("*") if p.is_file() and not p.name.endswith(MARKERS))


def floor(landing: Path, work: Path) -> tuple[float, int]:
    """Seconds and bytes for the floor of every delivered file."""
    import duckdb

    from govlake.duck import connect

    con = connect()
    out = work / "floor.parquet"
    total, size = 0.0, 0
    for path in _files(landing):
        size += path.stat().st_size
        t0 = time.perf_counter()
        head = path.read_bytes()[:65536] if path.suffix == ".csv" else b""
        src = path
        if path.suffix == ".csv":
            try:
                head.decode("utf-8")
            except UnicodeDecodeError as exc:
                if exc.start < len(head) - 4:  # not a character cut at the end of the sample
                    src = work / "floor_utf8.csv"
                    with open(src, "wb") as fh:
                        subprocess.run(["iconv", "-f", "GB18030", "-t", "UTF-8", str(path)],
                                       stdout=fh, check=True)  # fmt: skip
            sql = f"read_csv('{src}', header = true, all_varchar = true)"
        elif path.suffix == ".xlsx":
            sql = f"read_xlsx('{path}', header = true, all_varchar = true)"
        else:
            cols = con.execute(
                f"select * from read_json('{path}', format = 'newline_delimited') limit 0"
            ).description
            spec = ", ".join(f"'{c[0]}': 'VARCHAR'" for c in cols)
            sql = f"read_json('{path}', format = 'newline_delimited', columns = {{{spec}}})"
        try:
            con.execute(f"copy (select * from {sql}) to '{out}' (format parquet)")
        except duckdb.Error as exc:
            print(f"floor: {path.name}: {exc}", file=sys.stderr)
        total += time.perf_counter() - t0
        (work / "floor_utf8.csv").unlink(missing_ok=True)
        print(f"floor {path.relative_to(landing)}: {time.perf_counter() - t0:.1f} s", flush=True)
    con.close()
    out.unlink(missing_ok=True)
    return total, size


def ours(lake: Path) -> dict[str, str]:
    """``govlake ingest`` under /usr/bin/time -v: its wall, CPU and peak RSS."""
    env = {**os.environ, "GOVLAKE_LAKE_ROOT": str(lake)}
    env.setdefault("GOVLAKE_HMAC_KEY", "bench-key-not-secret")
    govlake = Path(sys.executable).parent / "govlake"
    proc = subprocess.run(["/usr/bin/time", "-v", str(govlake), "ingest"], env=env,
                          capture_output=True, text=True)  # fmt: skip
    print(proc.stdout[-3000:])
    fields = dict(re.findall(r"^\s*([^:\n]+(?:\([^)]*\))?[^:\n]*): (.+)$", proc.stderr, re.M))
    return {"returncode": str(proc.returncode), **fields}


def _seconds(text: str) -> float:
    parts = [float(p) for p in text.split(":")]
    return sum(p * 60**i for i, p in enumerate(reversed(parts)))


def main() -> None:
    landing, work = Path(sys.argv[1]), Path(sys.argv[2])
    work.mkdir(parents=True, exist_ok=True)
    lake = work / "lake"
    if lake.exists():
        shutil.rmtree(lake)
    lake.mkdir()
    subprocess.run(["cp", "-al", str(landing), str(lake / "landing")], check=True)
    floor_s, size = floor(landing, work)
    t0 = time.perf_counter()
    run = ours(lake)
    wall = time.perf_counter() - t0
    from govlake.ingest import read_manifest
    from govlake.lake import Lake

    entries = read_manifest(lake=Lake(lake))
    rows = sum(e.get("rows") or 0 for e in entries)
    statuses: dict[str, int] = {}
    for e in entries:
        statuses[e["status"]] = statuses.get(e["status"], 0) + 1
    rss = int(run.get("Maximum resident set size (kbytes)", "0")) / 1024
    cpu = float(run.get("User time (seconds)", 0)) + float(run.get("System time (seconds)", 0))
    settings = {k: v for k, v in os.environ.items() if k.startswith("GOVLAKE_") and "KEY" not in k}
    body = f"""## Ingest + quality gate at city scale (streaming, issue #16)

Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores, `bench/ingest_city.py` (landing zone: `govlake sample --scale city --seed 7`, {size / 1e9:.2f} GB in {len(_files(landing))} files; settings: {settings or "defaults"}). *Floor*: every file decoded to UTF-8 (`iconv` for GB18030) and copied to Parquet by DuckDB (all columns as text), one file after the other. *Ours*: `govlake ingest` (ingest + quality gate with GX, every resource) in a fresh process under `/usr/bin/time -v`.

| | rows | wall s | CPU s | peak RSS MB |
|---|---:|---:|---:|---:|
| floor | | {floor_s:.1f} | | |
| ours | {rows:,} | {_seconds(run.get("Elapsed (wall clock) time (h:mm:ss or m:ss)", "0")):.1f} | {cpu:.1f} | {rss:,.0f} |

Ours / floor: **{wall / floor_s:.2f}x** (target ≤ 2x); peak RSS **{rss / 1024:.2f} GiB** (target < 2 GiB). Manifest statuses: {statuses}. Exit status {run["returncode"]}.
"""
    print(write_section("ingest_city", body))


if __name__ == "__main__":
    main()
