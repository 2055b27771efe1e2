"""The publisher at district scale against a real local CKAN portal: publish every open entry,
then a no-op re-sync; and the issue's target, a no-op re-sync of 100 datasets.

Data: the district lake of ``bench/site.py`` (``tests/accepted_batches.py`` built by dbt; made by
that benchmark when missing). The portal is a fresh one in ``bench/_data/publish/portal`` on a
free port (stopped at the end). 100 datasets: the district has 12 publishable entries, so the
bench publishes them under 9 name suffixes (``publish_name_suffix`` = ``-b0`` … ``-b8``; the last
one for 4 entries only): 8 × 12 + 4 = 100 real datasets on the same CKAN, each with its four
files and DataStore table. The no-op re-sync of the 100 is the 9 publish runs back to back in one
process (each run reads the catalogue, searches CKAN once, fingerprints its datasets in DuckDB).
Writes its section of RESULTS.md. Usage: ``.venv/bin/python bench/publish.py [--runs 3]``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from options import arg, free_port
from results_md import write_section

HERE = Path(__file__).resolve().parent
KEY = "bench-key-not-secret"
SUFFIXES = [f"-b{i}" for i in range(9)]
LAST_ONLY = 4  # the 9th suffix publishes this many entries: 8 × 12 + 4 = 100


def main() -> None:
    runs = int(arg("--runs", "3"))
    lake = HERE / "_data" / "site" / "district" / "lake"
    if not (lake / "warehouse.duckdb").exists():
        subprocess.run([sys.executable, str(HERE / "site.py"), "--scales", "district"], check=True)
    os.environ |= {"GOVLAKE_LAKE_ROOT": str(lake), "GOVLAKE_HMAC_KEY": KEY}

    from govlake.catalogue.export import read_catalogue
    from govlake.publish.portal import Portal
    from govlake.publish.run import publish
    from govlake.publish.selection import select
    from govlake.settings import Settings

    home = HERE / "_data" / "publish" / "portal"
    fresh = "--fresh" in sys.argv or not (home / "portal.json").exists()
    if fresh:
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(lake / "publish", ignore_errors=True)
        port = free_port()
    else:  # the datasets of an earlier run are kept: only the re-syncs are measured again
        port = urlsplit(json.loads((home / "portal.json").read_text())["url"]).port
    portal = Portal(home, port)
    load = os.getloadavg()[0]
    started = time.perf_counter()
    info = portal.start()
    portal_start = time.perf_counter() - started
    try:

        def settings(suffix: str) -> Settings:
            return Settings(
                lake_root=lake, hmac_key=KEY, ckan_url=info.url, ckan_token=info.api_token,
                publish_name_suffix=suffix,
            )  # fmt: skip

        codes = [c.code for c in select(read_catalogue(settings(""))).publish]
        only = {s: None for s in SUFFIXES[:-1]} | {SUFFIXES[-1]: codes[:LAST_ONLY]}
        # first publish of everything, then its no-op re-sync (one run, 12 datasets)
        t0 = time.perf_counter()
        first = publish(settings(SUFFIXES[0]))
        first_s = time.perf_counter() - t0
        assert not first.problems, first.problems
        single = []
        for _ in range(runs):
            t0 = time.perf_counter()
            again = publish(settings(SUFFIXES[0]))
            single.append(time.perf_counter() - t0)
            assert again.uploads == 0 and again.counts["unchanged"] == len(codes)
        # the other 88 datasets
        for suffix in SUFFIXES[1:]:
            report = publish(settings(suffix), only=only[suffix])
            assert not report.problems, report.problems
        # no-op re-sync of the 100
        hundred = []
        for _ in range(runs):
            t0 = time.perf_counter()
            total = 0
            for suffix in SUFFIXES:
                report = publish(settings(suffix), only=only[suffix])
                assert report.uploads == 0 and report.counts["unchanged"] == len(
                    only[suffix] or codes
                )
                total += report.counts["unchanged"]
            hundred.append(time.perf_counter() - t0)
            assert total == 100, total
    finally:
        portal.stop()
    head = f"""Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores \
(CPython {platform.python_version()}), `bench/publish.py`; 1-min load average {load:.1f} when it \
started. Lake: district scale from `tests/accepted_batches.py` (the one `bench/site.py` builds).
CKAN 2.12 is the local portal (`govlake.publish.portal`, PostgreSQL search plugin) on this
machine; its start took {portal_start:.1f} s (CKAN venv already installed)."""
    if fresh:
        table = "\n".join(
            f"| {d.resource_id} | {d.outcome} | {len(d.uploads)} | {d.bytes:,} | "
            f"{d.datastore_rows if d.datastore_rows is not None else '—'} |"
            for d in first.datasets
        )
        print(
            write_section(
                "publish",
                f"""## Publishing to CKAN: first publish at district scale

{head} The portal was fresh (no dataset).

One run, in-process: {first_s:.1f} s — {first.summary_line()}.

| resource | outcome | files | bytes | DataStore rows |
|---|---|---:|---:|---:|
{table}
""",
            )
        )
    body = f"""## Publishing to CKAN: no-op re-sync (target: 100 datasets under 5 s)

{head}

**One run, nothing changed** ({runs} runs, median): {statistics.median(single):.2f} s for the \
{len(codes)} datasets of one run (min {min(single):.2f}, max {max(single):.2f}), in-process.

**100 datasets, nothing changed**: {statistics.median(hundred):.2f} s median of {runs} \
(min {min(hundred):.2f}, max {max(hundred):.2f}). The 100 are real CKAN datasets, each with its
four files and DataStore table: the 12 publishable entries published under 9 name suffixes
(`GOVLAKE_PUBLISH_NAME_SUFFIX` = `-b0` … `-b8`, the last for 4 entries): 8 × 12 + 4. The re-sync
is the 9 publish runs back to back in one process; each reads the catalogue, searches CKAN once
for the datasets of its naming (the marker extra `govlake_publisher` = `govlake<suffix>`) and
fingerprints its tables in DuckDB; nothing is written or uploaded (asserted). A single run over
100 entries would pay the per-run part (catalogue, register, search) once instead of 9 times.
"""
    print(write_section("publish_noop", body))


if __name__ == "__main__":
    main()
