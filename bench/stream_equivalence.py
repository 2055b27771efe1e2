"""Streaming vs whole-file ingest + gate on the district sample (issue #16): the same lake, row
for row. Writes the ``stream_equivalence`` section of RESULTS.md.

The district sample of ``bench/ingest.py`` (generated there if missing) is hard-linked into two
lakes and each is ingested and gated by ``govlake ingest`` in its own process under
``/usr/bin/time``: once with the default batch settings (streaming), once with batches and blocks
larger than any file (one batch per file: what ingest and the gate did before streaming). Then,
per resource, DuckDB compares raw, accepted (deletion vectors applied) and quarantine rows, every
column but the ingest time, as multisets (``EXCEPT ALL`` both ways); the manifests must agree on
every field but the clock's, and the quality results on every count and verdict.
``tests/test_stream_lake.py`` does the same on the tiny sample with tiny batches, in CI.

Usage: ``.venv/bin/python bench/stream_equivalence.py``.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
from city import GOVLAKE, timed
from ingest import DATA, LAKE, prepare
from results_md import write_section

from govlake.ingest import read_manifest
from govlake.lake import Lake, read_accepted
from govlake.quality.results import read_results
from govlake.register import load_register

ROOT = Path(__file__).resolve().parents[1]
WORK = DATA.parent / "stream_equivalence"
WHOLE = 1 << 40  # more rows than any file has: one batch per file (workbooks: see stream.py)
RUNS = {
    "streaming": {},
    "whole files": {
        "GOVLAKE_INGEST_BATCH_ROWS": str(WHOLE),
        "GOVLAKE_INGEST_BLOCK_BYTES": str(1 << 30),
        "GOVLAKE_GATE_BATCH_ROWS": str(WHOLE),
    },
}
CLOCK = {"received", "mtime_ns", "ctime_ns", "ingested_at", "updated_at", "quality_run_id"}
RESULT_CLOCK = ["run_id", "run_at", "duration_s"]


def ingest_both() -> dict[str, dict]:
    figures = {}
    for name, env in RUNS.items():
        lake = WORK / name.replace(" ", "_")
        shutil.rmtree(lake, ignore_errors=True)
        lake.mkdir(parents=True)
        subprocess.run(["cp", "-al", str(LAKE / "landing"), str(lake / "landing")], check=True)
        # one pseudonym key for both lakes (each lake would otherwise make its own)
        run_env = {**os.environ, **env, "GOVLAKE_LAKE_ROOT": str(lake),
                   "GOVLAKE_HMAC_KEY": "bench-key-not-secret",
                   "PYTHONPATH": str(ROOT / "src")}  # fmt: skip
        log = WORK / "logs"
        log.mkdir(exist_ok=True)
        figures[name] = timed(name.replace(" ", "_"), [*GOVLAKE, "ingest"], run_env, log)
    return figures


def _zone(con, a: list[Path], b: list[Path]) -> tuple[int, int, int]:
    """Rows in a, rows of a not in b, rows of b not in a (multisets, without _ingested_at)."""
    if not a and not b:
        return 0, 0, 0
    if not a or not b:
        return 0, 1, 1  # one side has parts, the other none

    def rel(paths: list[Path]) -> str:
        listed = ", ".join(f"'{p}'" for p in paths)
        return f"(select * exclude (_ingested_at) from read_parquet([{listed}]))"

    n = con.execute(f"select count(*) from {rel(a)}").fetchone()[0]
    only_a = con.execute(f"select count(*) from ({rel(a)} except all {rel(b)})").fetchone()[0]
    only_b = con.execute(f"select count(*) from ({rel(b)} except all {rel(a)})").fetchone()[0]
    return n, only_a, only_b


def compare() -> list[dict]:
    register = load_register(ROOT / "catalog")
    a, b = (Lake(WORK / name.replace(" ", "_")) for name in RUNS)
    con = duckdb.connect()
    out = []
    for rid in sorted(register.resources):
        row: dict = {"resource": rid}
        for zone, where in (("raw", Lake.raw), ("quarantine", Lake.quarantine)):
            parts = [sorted(where(lake, rid).glob("batch_date=*/*.parquet")) for lake in (a, b)]
            row[zone] = _zone(con, *parts)
        accepted = [read_accepted(lake, rid) for lake in (a, b)]
        if any(t is None for t in accepted):
            row["accepted"] = (0, int(accepted[0] is not None), int(accepted[1] is not None))
        else:
            for name, t in zip(("ta", "tb"), accepted, strict=True):
                con.register(name, t.drop([c for c in t.column_names if c == "_ingested_at"]))
            row["accepted"] = _both(con, accepted[0].num_rows)
        manifests = [
            sorted(({k: v for k, v in e.items() if k not in CLOCK} for e in read_manifest(
                rid, lake=lake)), key=lambda e: (e["path"], e["version"]))
            for lake in (a, b)
        ]  # fmt: skip
        row["manifest"] = (len(manifests[0]), manifests[0] != manifests[1])
        out.append(row)
    for name, lake in zip(("ta", "tb"), (a, b), strict=True):
        con.register(name, read_results(lake).drop(RESULT_CLOCK))
    rows = con.execute("select count(*) from ta").fetchone()[0]
    out.append({"resource": "quality results", "results": _both(con, rows)})
    return out


def _both(con, rows: int) -> tuple[int, int, int]:
    """Rows, and rows of ta not in tb and of tb not in ta (multisets)."""
    only_a = con.execute("select count(*) from (from ta except all from tb)").fetchone()[0]
    only_b = con.execute("select count(*) from (from tb except all from ta)").fetchone()[0]
    return rows, only_a, only_b


def report(figures: dict[str, dict], rows: list[dict]) -> str:
    def cell(v: tuple) -> str:
        n, x, y = v
        return f"{n:,}" if not (x or y) else f"**{n:,}: {x:,} / {y:,} differ**"

    lines = [
        "## Streaming vs whole-file ingest + gate, district sample (`bench/stream_equivalence.py`)",
        "",
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores, load "
        f"average {os.getloadavg()[0]:.1f} at the end. The district sample of `bench/ingest.py` "
        "(seed 1, 2% defects), hard-linked into two lakes; `govlake ingest` (ingest + gate, every "
        "resource) in its own process for each.",
        "",
        "| run | settings | wall s | CPU s | peak RSS MB |",
        "|---|---|---:|---:|---:|",
    ]
    for name, f in figures.items():
        settings = ", ".join(f"{k}={_power(v)}" for k, v in RUNS[name].items()) or "defaults"
        lines.append(f"| {name} | {settings} | {f['wall_s']:.1f} | {f['cpu_s']:.1f} | "
                     f"{f['rss_mb']:,.0f} |")  # fmt: skip
    lines += [
        "",
        "Rows per zone (streaming run); a difference would show as **rows: only in streaming / "
        "only in whole files**. Manifest: entries, and whether any field but the clock's differs.",
        "",
        "| resource | raw | accepted | quarantine | manifest entries |",
        "|---|---:|---:|---:|---:|",
    ]
    same = True
    for r in rows:
        if "results" in r:
            same &= not any(r["results"][1:])
            lines.append(f"| {r['resource']} | | | | {cell(r['results'])} rows |")
            continue
        differs = any(any(r[z][1:]) for z in ("raw", "accepted", "quarantine"))
        same &= not differs and not r["manifest"][1]
        lines.append(
            f"| {r['resource']} | {cell(r['raw'])} | {cell(r['accepted'])} | "
            f"{cell(r['quarantine'])} | {r['manifest'][0]}"
            + (" **differ**" if r["manifest"][1] else "")
            + " |"
        )
    lines += ["", "**Same lake, row for row.**" if same else "**The two lakes differ.**"]
    return "\n".join(lines)


def _power(value: str) -> str:
    n = int(value)
    return f"2^{n.bit_length() - 1}" if n and n & (n - 1) == 0 else value


def main() -> None:
    prepare(load_register(ROOT / "catalog"), rebuild=False)
    figures = ingest_both()
    if not all(f["ok"] for f in figures.values()):
        sys.exit("an ingest run failed; see " + str(WORK / "logs"))
    print(write_section("stream_equivalence", report(figures, compare())))


if __name__ == "__main__":
    main()
