"""City scale end to end (issue #16): sample → ingest + gate → full build → a daily delta with an
incremental build, each step with wall time, CPU time and peak RSS, against the floor for the same
files in the same run. Writes the ``city`` section of RESULTS.md.

Every step runs as its own process under ``/usr/bin/time`` (the figures are that process's and its
children's), on the embedded defaults with the lake in ``bench/_data/city-e2e`` (``--lake`` to put
it elsewhere). The floor is what no pipeline can beat on these files: decode to UTF-8 (``iconv``
for GB18030, as a department's front-end server would) and one DuckDB ``COPY … TO parquet`` of
every column as text, with no checks, no pseudonyms, no manifest.

Usage: ``.venv/bin/python bench/city.py [--lake DIR] [--landing DIR] [--steps sample,floor,…]``.
``--landing`` hard-links an existing city landing zone instead of generating one (generation is
not part of the pipeline and takes minutes); ``--report`` rewrites the section from the last
recorded run. Only a city-scale run in the default lake writes RESULTS.md; any other prints.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from results_md import write_section

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
GOVLAKE = [sys.executable, "-m", "govlake.cli"]
STEPS = ("sample", "floor", "ingest", "build", "delta_sample", "delta_ingest", "delta_build")
SEED = 7
FLOOR = r"""
import os, subprocess, sys, tempfile, time
from pathlib import Path
import duckdb
from govlake.register import load_register
from govlake.settings import get_settings

settings = get_settings()
landing, out = settings.lake_root / "landing", Path(sys.argv[1])
resources = load_register(settings.register_dir).resources
con = duckdb.connect()
con.execute("load excel")
con.execute("set enable_progress_bar = false")
n = 0
for path in sorted(p for p in landing.rglob("*") if p.is_file() and not p.name.startswith(".")):
    rid = path.relative_to(landing).parts[1]
    res = resources.get(rid)
    if res is None or path.suffix in (".ok",) or path.name == "_SUCCESS":
        continue
    target = out / f"{n}.parquet"
    t0 = time.perf_counter()
    fmt, enc = res.delivery.format, res.delivery.encoding
    source = path
    if fmt == "csv" and enc == "gb18030":
        source = out / "utf8.csv"
        with open(source, "wb") as f:
            subprocess.run(["iconv", "-f", "GB18030", "-t", "UTF-8", str(path)], stdout=f,
                           check=True)
    if fmt == "csv":
        rel = f"read_csv('{source}', header=true, all_varchar=true)"
    elif fmt == "jsonl":
        rel = f"read_json('{source}', format='newline_delimited')"
    else:
        rel = f"read_xlsx('{source}', header=true, all_varchar=true)"
    con.execute(f"copy (select * from {rel}) to '{target}' (format parquet)")
    if source != path:
        source.unlink()
    print("floor", rid, time.perf_counter() - t0, flush=True)
    n += 1
print(n)
"""


def timed(name: str, argv: list[str], env: dict[str, str], log: Path) -> dict:
    """Run one step under GNU time; its wall, user+sys CPU and peak RSS."""
    out = log / f"{name}.time"
    with open(log / f"{name}.log", "w") as sink:
        proc = subprocess.run(
            ["/usr/bin/time", "-f", "%e %U %S %M", "-o", str(out), *argv],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
    wall, user, system, rss_kb = out.read_text().split()[-4:]
    figures = {
        "wall_s": float(wall),
        "cpu_s": float(user) + float(system),
        "rss_mb": int(rss_kb) / 1024,
        "ok": proc.returncode == 0,
    }
    print(
        f"{name:14} {figures['wall_s']:8.1f} s wall {figures['cpu_s']:8.1f} s CPU "
        f"{figures['rss_mb']:8.0f} MB  {'ok' if figures['ok'] else 'FAILED'}",
        flush=True,
    )
    if not figures["ok"]:
        print((log / f"{name}.log").read_text()[-3000:], file=sys.stderr)
    return figures


def landing_stats(lake: Path) -> dict:
    files = [p for p in (lake / "landing").rglob("*") if p.is_file()]
    return {"files": len(files), "bytes": sum(p.stat().st_size for p in files)}


def by_resource(lake: Path, started: float, day: str | None = None) -> dict[str, dict]:
    """Where ingest + gate spent the time, per resource, from the manifests' clocks.

    ``govlake ingest`` runs ingest, then the gate, resource after resource in register order:
    a resource's ingest runs from the end of the previous one's gate (``started``: the step's
    start) to its last raw part written (the part's mtime: the manifest's ``ingested_at`` is
    when ingest began), its gate from there to its last verdict. ``day``: only that landing
    date's files (the delta)."""
    out, previous = {}, started
    for folder in sorted((lake / "manifest").glob("*")):
        entries = [json.loads(p.read_text()) for p in folder.glob("*.json")]
        entries = [e for e in entries if e.get("ingested_at") and day in (None, e["batch_date"])]
        if not entries:
            continue
        ingested = max((lake / e["raw_path"]).stat().st_mtime for e in entries)
        gated = _clock(entries, "updated_at") if all(e.get("updated_at") for e in entries) else None
        out[folder.name] = {
            "rows": sum(e.get("rows") or 0 for e in entries),
            "accepted": sum(e.get("accepted_rows") or 0 for e in entries),
            "bytes": sum(e.get("size") or 0 for e in entries),
            "ingest_s": ingested - previous,
            "gate_s": None if gated is None else gated - ingested,
        }
        previous = gated or ingested
    return out


def _clock(entries: list[dict], key: str) -> float:
    """The latest of ``key`` (an ISO time) over the entries, as a timestamp."""
    return max(dt.datetime.fromisoformat(e[key]).timestamp() for e in entries if e.get(key))


def run(lake: Path, landing: Path | None, steps: list[str], scale: str = "city") -> dict:
    env = {**os.environ, "GOVLAKE_LAKE_ROOT": str(lake), "PYTHONPATH": str(ROOT / "src")}
    log = lake.parent / "logs"
    log.mkdir(parents=True, exist_ok=True)
    record = (
        json.loads((lake.parent / "city.json").read_text())
        if (lake.parent / "city.json").exists()
        else {}
    )
    record.setdefault("steps", {})
    for step in steps:
        if step == "sample":
            if landing is not None:
                shutil.rmtree(lake / "landing", ignore_errors=True)
                lake.mkdir(parents=True, exist_ok=True)
                subprocess.run(["cp", "-al", str(landing), str(lake / "landing")], check=True)
                record["sample_reused"] = str(landing)
                record["landing"] = landing_stats(lake)
                continue
            argv = [*GOVLAKE, "sample", "--scale", scale, "--seed", str(SEED)]
            record["steps"]["sample"] = timed("sample", argv, env, log)
            record["landing"] = landing_stats(lake)
        elif step == "floor":
            with tempfile.TemporaryDirectory(dir=lake.parent) as out:
                argv = [sys.executable, "-c", FLOOR, out]
                record["steps"]["floor"] = timed("floor", argv, env, log)
            floors: dict[str, float] = {}
            for rid, seconds in re.findall(
                r"floor (\S+) ([0-9.]+)\n", (log / "floor.log").read_text()
            ):
                floors[rid] = floors.get(rid, 0.0) + float(seconds)
            record["floor_by_resource"] = floors
        elif step in ("ingest", "delta_ingest"):
            started = dt.datetime.now(dt.UTC).timestamp()
            record["steps"][step] = timed(step, [*GOVLAKE, "ingest"], env, log)
            day = record.get("delta_day") if step == "delta_ingest" else None
            record[f"{step}_by_resource"] = by_resource(lake, started, day)
        elif step == "build":
            argv = [*GOVLAKE, "build", "--full-refresh"]
            record["steps"][step] = timed(step, argv, env, log)
        elif step == "delta_build":
            record["steps"][step] = timed(step, [*GOVLAKE, "build"], env, log)
        elif step == "delta_sample":
            # the day after the newest landing date (not today's: a run can cross midnight)
            landed = max(p.name for p in (lake / "landing").glob("*/*/*") if p.is_dir())
            day = dt.date.fromisoformat(landed) + dt.timedelta(days=1)
            argv = [*GOVLAKE, "sample", "--seed", str(SEED), "--delta", "--date", str(day)]
            record["steps"][step] = timed(step, argv, env, log)
            record["delta_day"] = str(day)
        (lake.parent / "city.json").write_text(json.dumps(record, indent=2))
    record["measured"] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    record["load"] = os.getloadavg()[0]
    (lake.parent / "city.json").write_text(json.dumps(record, indent=2))
    return record


def report(record: dict) -> str:
    s = record["steps"]
    rows = []
    names = {
        "sample": "sample (not part of the pipeline)",
        "floor": "floor: decode + DuckDB COPY",
        "ingest": "ingest + gate, all resources",
        "build": "full build",
        "delta_sample": "daily delta: sample",
        "delta_ingest": "daily delta: ingest + gate",
        "delta_build": "daily delta: incremental build",
    }
    for step in STEPS:
        if step in s:
            f = s[step]
            rows.append(
                f"| {names[step]} | {f['wall_s']:.1f} | {f['cpu_s']:.1f} | "
                f"{f['rss_mb']:,.0f} | {'ok' if f['ok'] else 'FAILED'} |"
            )
    land = record.get("landing", {})
    lines = [
        "## City scale end to end (`bench/city.py`)",
        "",
        f"Measured {record.get('measured', '?')} on {os.cpu_count()} cores "
        f"(CPython {platform.python_version()}), load average {record.get('load', 0):.1f} at the "
        f"end; seed {SEED}; landing zone {land.get('files', '?')} files, "
        f"{land.get('bytes', 0) / 1e9:.2f} GB"
        + (" (reused, hard-linked)" if record.get("sample_reused") else "")
        + ".",
        "",
        "| step | wall s | CPU s | peak RSS MB | |",
        "|---|---:|---:|---:|---|",
        *rows,
    ]
    if "floor" in s and "ingest" in s:
        lines += [
            "",
            f"Ingest + gate / floor: {s['ingest']['wall_s'] / s['floor']['wall_s']:.2f}× "
            "wall (target ≤ 2×).",
        ]
    if all(k in s for k in ("delta_ingest", "delta_build")):
        total = s["delta_ingest"]["wall_s"] + s["delta_build"]["wall_s"]
        lines += [f"Daily delta, ingest + gate + incremental build: {total:.1f} s (target < 60 s)."]
    for step, title in (("ingest", "Ingest + gate"), ("delta_ingest", "Daily delta")):
        lines += _by_resource(record, step, title)
    return "\n".join(lines)


def _by_resource(record: dict, step: str, title: str) -> list[str]:
    """Per resource, from ``by_resource`` (and the floor's own clock for the full run)."""
    found = record.get(f"{step}_by_resource")
    if not found:
        return []
    floors = record.get("floor_by_resource", {}) if step == "ingest" else {}
    lines = [
        "",
        f"{title} per resource (seconds, from the manifests' clocks and the parts' mtimes; "
        "ingest includes the process's start-up for the first resource, the gate GX's import "
        "for it):",
        "",
        "| resource | MB | rows | accepted | ingest s | gate s |"
        + (" floor s | ours / floor |" if floors else ""),
        "|---|---:|---:|---:|---:|---:|" + ("---:|---:|" if floors else ""),
    ]
    for rid, r in sorted(found.items(), key=lambda kv: -kv[1]["bytes"]):
        gate = r["gate_s"] if r["gate_s"] is not None else float("nan")
        row = (
            f"| {rid} | {r['bytes'] / 1e6:,.0f} | {r['rows']:,} | {r['accepted']:,} | "
            f"{r['ingest_s']:.1f} | {gate:.1f} |"
        )
        if floors:
            floor = floors.get(rid)
            ratio = f"{(r['ingest_s'] + gate) / floor:.2f}" if floor else ""
            row += f" {floor:.1f} | {ratio} |" if floor else " | |"
        lines.append(row)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lake", type=Path, default=HERE / "_data" / "city-e2e" / "lake")
    parser.add_argument("--landing", type=Path, help="an existing city landing zone to hard-link")
    parser.add_argument("--steps", default=",".join(STEPS))
    parser.add_argument("--scale", default="city", help="tiny / district: to try the script out")
    parser.add_argument("--report", action="store_true", help="only rewrite the section")
    args = parser.parse_args()
    lake = args.lake.resolve()
    if args.report:
        record = json.loads((lake.parent / "city.json").read_text())
    else:
        record = run(lake, args.landing, [s for s in args.steps.split(",") if s], args.scale)
    text = report(record)
    # a trial at another scale or in another lake prints its figures, not RESULTS.md's
    official = args.scale == "city" and lake == parser.get_default("lake").resolve()
    print(write_section("city", text) if official else text)


if __name__ == "__main__":
    main()
