"""Sample generator benchmark: time and peak memory per scale, and whether memory stays bounded
as the city scale grows (persons are streamed in chunks); one run makes every resource with the
generic generator (``sample.generic``, what a newly onboarded resource gets).

Usage: ``.venv/bin/python bench/sample.py``; writes its section of RESULTS.md. Each run is a
fresh process so peak RSS is that run's own. The full city scale (~22M persons) takes ~18 min
here, so memory boundedness is shown on city-shaped runs of growing size instead.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from results_md import write_section

CHILD = """
import json, resource, sys, time, datetime as dt
from pathlib import Path
from govlake.sample import generate
from govlake.sample.scales import SCALES, Scale
name, persons, entities, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4])
generic = sys.argv[5] == "generic"
if persons:
    SCALES[name] = Scale(name, persons=persons, entities=entities, months=36, chunk_size=250_000,
                         generic_rows=entities)
t = time.perf_counter()
r = generate(out, scale=name, seed=3, batch_date=dt.date(2026, 11, 2),
             **({"bespoke": ()} if generic else {}))
use = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"seconds": time.perf_counter() - t, "rows": sum(r.rows.values()),
                  "cpu": use.ru_utime + use.ru_stime, "rss_mb": use.ru_maxrss / 1024}))
"""

RUNS = [  # (label, scale name, persons, entities, mode) — persons 0 = the scale as defined
    ("tiny", "tiny", 0, 0, "bespoke"),
    ("district", "district", 0, 0, "bespoke"),
    ("district, every resource generic", "district", 0, 0, "generic"),
    ("city-shaped, 1M persons", "city_1m", 1_000_000, 70_000, "bespoke"),
    ("city-shaped, 3M persons", "city_3m", 3_000_000, 200_000, "bespoke"),
]


def measure(name: str, persons: int, entities: int, mode: str) -> dict:
    out = Path(tempfile.mkdtemp(prefix="govlake-bench-sample-"))
    try:
        proc = subprocess.run(
            [sys.executable, "-c", CHILD, name, str(persons), str(entities), str(out), mode],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        return json.loads(proc.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(out, ignore_errors=True)


def main() -> None:
    from govlake.register import load_register
    from govlake.sample.scales import SCALES

    resources = len(load_register().resources)
    load = os.getloadavg()[0]
    lines = [
        "## Sample generator (`govlake sample`)",
        "",
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores "
        f"(CPython {platform.python_version()}), `bench/sample.py`, seed 3, 2% defects, all "
        f"{resources} resources of the register. City-shaped runs use the city scale's chunking "
        "(250k persons per chunk). The generic run makes every resource from its register entry "
        f"({SCALES['district'].generic_rows:,} rows each, fewer where the key has fewer "
        "combinations), as a newly onboarded resource is made. CPU s is user + system time "
        f"(the machine is shared: load average {load:.1f} at the start; wall time varies with "
        "the load, CPU time much less).",
        "",
        "| run | rows written (all files) | s | CPU s | peak RSS MB |",
        "|---|---:|---:|---:|---:|",
    ]
    results = []
    for label, name, persons, entities, mode in RUNS:
        r = measure(name, persons, entities, mode)
        results.append(r)
        lines.append(
            f"| {label} | {r['rows']:,} | {r['seconds']:.1f} | {r['cpu']:.1f} | {r['rss_mb']:.0f} |"
        )
        print(lines[-1], flush=True)
    small, big = results[-2], results[-1]
    rate = big["seconds"] / 3_000_000
    lines += [
        "",
        f"Tripling the city-shaped run's persons changed peak memory from {small['rss_mb']:.0f} "
        f"to {big['rss_mb']:.0f} MB. Extrapolated full city scale (21.9M persons): "
        f"~{rate * 21_893_095 / 60:.0f} min.",
    ]
    print(write_section("sample", "\n".join(lines)))


if __name__ == "__main__":
    main()
