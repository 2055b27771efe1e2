"""Quality-gate benchmark: validation throughput at district scale and gate time vs ingest time.

Data: ``govlake.sample.generate(scale="district", defect_rate=0.02)`` (cached in
``bench/_data/quality``; ``--rebuild`` regenerates). Each of five passes starts from an empty
lake zone, ingests every resource (timed) and gates its batch (timed), so both see the same data;
the median pass is reported. Then it
compares ways to run the rules on the largest batch (registered_person):

* GX 1.x, pandas engine, low-cardinality columns as Categoricals (what the gate does);
* GX 1.x, pandas engine, Arrow-backed strings only; and NumPy object strings;
* DuckDB SQL only, no GX (the same rules written as one query; no Data Docs, no GX results);
* GX on DuckDB through its SQL datasource is not measured: it fails on this stack (STACK_NOTES).

Usage: ``.venv/bin/python bench/quality.py [--rebuild]``; writes its section of RESULTS.md.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

from results_md import write_section

HERE = Path(__file__).resolve().parent
DATA = HERE / "_data" / "quality"
LAKE = DATA / "lake"
DAY = dt.date(2024, 6, 3)
ZONES = ("raw", "manifest", "accepted", "quarantine", "quality_results", "quality_docs")


def _generate(register) -> None:
    from govlake.sample import generate

    shutil.rmtree(DATA, ignore_errors=True)
    generate(LAKE, scale="district", seed=42, defect_rate=0.02, batch_date=DAY, register=register)


def _warm_up(register) -> None:
    """Import GX and compile its metric graph once, as a long-lived worker would have."""
    import pandas as pd

    from govlake.quality.gx_runner import run_suite
    from govlake.quality.suites import suite_expectations

    frame = pd.DataFrame({f.name: [None] for f in register.resource("scenic_spot").fields})
    frame["_source_row"] = [1]
    run_suite(frame, suite_expectations("scenic_spot", register, DAY), "warm")


def _sql_only(raw_path: Path, register) -> tuple[float, int]:
    """registered_person's rules as one DuckDB query (no GX): seconds, failing rows."""
    from govlake.duck import connect
    from govlake.formats import DATE_FORMATS, EARLIEST_DATE
    from govlake.identifiers import division_codes

    res = register.resource("registered_person")
    vocab = register.vocab
    con = connect()
    con.register("division", __import__("pyarrow").table({"code": sorted(division_codes())}))
    fmts = "[" + ", ".join(f"'{f}'" for f in DATE_FORMATS) + "]"
    hw = "translate({x}, '０１２３４５６７８９Ｘ　', '0123456789X ')"
    code = f"nullif(upper(regexp_replace({hw}, '\\s+', '', 'g')), '')"
    text = f"nullif(trim(regexp_replace({hw}, '\\s+', ' ', 'g')), '')"

    def in_list(values) -> str:
        return "[" + ", ".join(f"'{v}'" for v in values) + "]"

    cid = code.format(x="citizen_id")
    born = "try_strptime(substr(cid, 7, 8), '%Y%m%d')"
    weights = "[7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]"
    valid_id = f"""(regexp_full_match(cid, '[0-9]{{17}}[0-9X]')
        and substr(cid, 1, 6) in (select code from division)
        and {born} between timestamp '1880-01-01' and timestamp '{DAY}'
        and substr('10X98765432', cast(list_sum(list_transform(range(1, 18), lambda i:
            (ascii(substr(cid, i, 1)) - 48) * {weights}[i]
            )) % 11 as bigint) + 1, 1) = substr(cid, 18, 1))"""
    bd = f"try_strptime({text.format(x='birth_date')}, {fmts})"
    mv = f"try_strptime({text.format(x='move_in_date')}, {fmts})"
    mandatory = [f.name for f in res.fields if not f.nullable]
    sql = f"""
    with t as (select *, {cid} as cid, {text.format(x="sex")} as sx,
                      row_number() over (partition by {cid} order by _source_row) as copy
               from read_parquet('{raw_path}'))
    select count(*) from t where
        {" or ".join(f"{text.format(x=m)} is null" for m in mandatory)}
        or (cid is not null and copy > 1)
        or (cid is not null and not coalesce({valid_id}, false))
        or (sx is not null and sx not in {in_list(vocab["sex"])})
        or ({text.format(x="ethnicity")} not in {in_list(vocab["ethnicity"])})
        or ({code.format(x="street_code")} not in {in_list(vocab["street"])})
        or ({text.format(x="registration_type")} not in {in_list(vocab["registration_type"])})
        or ({text.format(x="birth_date")} is not null and not coalesce(
            {bd} between timestamp '{EARLIEST_DATE}' and timestamp '{DAY}', false))
        or ({text.format(x="move_in_date")} is not null and not coalesce(
            {mv} between timestamp '{EARLIEST_DATE}' and timestamp '{DAY}', false))
        or (coalesce({valid_id}, false) and sx in ('男', '女')
            and sx <> case when cast(substr(cid, 17, 1) as int) % 2 = 1 then '男' else '女' end)
        or (coalesce({valid_id}, false) and {bd} is not null and {bd} <> {born})
    """
    started = time.perf_counter()
    failing = con.sql(sql).fetchone()[0]
    return time.perf_counter() - started, int(failing)


def _options(register, lake) -> list[tuple[str, float, str]]:
    """Ways to validate registered_person's batch; (option, seconds, note)."""
    import pyarrow.parquet as pq

    from govlake.ingest import read_manifest
    from govlake.quality.frame import checked_frame, content_columns, encoded_columns
    from govlake.quality.gx_runner import run_suite
    from govlake.quality.suites import suite_expectations

    rid = "registered_person"
    (entry,) = [e for e in read_manifest(rid, lake=lake) if e.get("raw_path")]
    path = lake.root / entry["raw_path"]
    res = register.resource(rid)
    out = []
    started = time.perf_counter()
    read = content_columns(suite_expectations(rid, register, DAY))
    raw = pq.read_table(path, read_dictionary=encoded_columns(res, read))  # as the gate does
    frame = checked_frame(raw, res, read=read)
    prep = time.perf_counter() - started
    out.append(("read + normalise (checked frame)", prep, "shared by the GX options"))
    encoded = [c for c in frame.columns if str(frame[c].dtype) == "category"]

    def run(variant, note: str) -> None:
        """Best of two: the first GX run over a new frame pays one-off costs."""
        runs = [run_suite(variant, suite_expectations(rid, register, DAY), rid, normalised=True)
                for _ in range(2)]  # fmt: skip
        failing = len({i for idx in runs[-1].failing.values() for i in idx})
        out.append((note, min(r.duration_s for r in runs), f"{failing:,} failing rows"))

    run(frame, f"GX pandas, {len(encoded)} low-cardinality columns as Categoricals (chosen)")
    run(frame.astype({c: "str" for c in encoded}), "GX pandas, Arrow-backed strings only")
    run(frame.astype({c: object for c in frame.columns if c != "_source_row"}),
        "GX pandas, NumPy object strings")  # fmt: skip
    seconds, failing = _sql_only(path, register)
    out.append(("DuckDB SQL only, no GX (read + rules)", seconds,
                f"{failing:,} failing rows; counts only, no reasons/results/docs"))  # fmt: skip
    return out


RUNS = 5  # passes over the whole sample


def _pass(register, lake) -> list[tuple]:
    """Ingest every resource into an empty lake zone and gate its batches, timing both."""
    from govlake.ingest import ingest_resource
    from govlake.quality import validate_batch

    for zone in ZONES:
        shutil.rmtree(LAKE / zone, ignore_errors=True)
    rows = []
    for rid in sorted(register.resources):
        started = time.perf_counter()
        report = ingest_resource(rid, lake=lake, register=register)
        ingest_s = time.perf_counter() - started
        gate_s, n, quarantined, held = 0.0, 0, 0, 0
        for f in report.ingested:
            started = time.perf_counter()
            result = validate_batch(rid, f.batch_id, lake=lake, register=register)
            gate_s += time.perf_counter() - started
            n += result.delivered
            quarantined += result.quarantined
            held += result.held
        rows.append((rid, n, quarantined, held, ingest_s, gate_s))
    total_i, total_g = sum(r[4] for r in rows), sum(r[5] for r in rows)
    print(f"pass: ingest {total_i:.2f}s gate {total_g:.2f}s ({total_g / total_i:.0%})", flush=True)
    return rows


def main() -> None:
    from govlake.lake import Lake
    from govlake.register import load_register

    register = load_register()
    if "--rebuild" in sys.argv or not (LAKE / "landing").exists():
        print("generating the district sample …", flush=True)
        _generate(register)
    os.environ.setdefault("GOVLAKE_HMAC_KEY", "bench-key-not-secret")
    from govlake.settings import get_settings

    get_settings.cache_clear()
    lake = Lake(LAKE)
    load = os.getloadavg()[0]
    _warm_up(register)

    # the VM's speed drifts between passes (±15%): several passes, the median one is reported
    passes = [_pass(register, lake) for _ in range(RUNS)]
    passes.sort(key=lambda rows: sum(r[5] for r in rows) / sum(r[4] for r in rows))
    rows = passes[len(passes) // 2]
    ratios = [sum(r[5] for r in rows) / sum(r[4] for r in rows) for rows in passes]

    from govlake.quality import build_data_docs

    started = time.perf_counter()
    build_data_docs(lake, register)
    docs_s = time.perf_counter() - started
    options = _options(register, lake)
    _write_results(rows, docs_s, options, ratios, (load, os.getloadavg()[0]))


def _gx_import_seconds() -> float:
    """What a fresh process pays before its first gate: importing GX and our expectations."""
    code = ("import time; t = time.perf_counter(); import govlake.quality.expectations; "
            "from govlake.quality.gx_runner import _batch_definition; _batch_definition(); "
            "print(time.perf_counter() - t)")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def _write_results(rows, docs_s: float, options, ratios: list[float], load: tuple) -> None:
    total_n = sum(r[1] for r in rows)
    total_i = sum(r[4] for r in rows)
    total_g = sum(r[5] for r in rows)
    big = [r for r in rows if r[1] >= 100_000]
    big_i, big_g = sum(r[4] for r in big), sum(r[5] for r in big)
    lines = [
        "## Quality gate (raw → accepted / quarantine, Great Expectations 1.24)",
        "",
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores "
        f"(CPython {platform.python_version()}), sample: `govlake.sample` district scale, "
        "defect rate 2%, `bench/quality.py`. Ingest and gate run in the same process on the "
        "same batches; GX is imported and warmed up once before timing (a worker does that "
        f"once, not per batch). {RUNS} passes; the table is the median pass. 1-min load "
        f"average {load[0]:.1f} at the start, {load[1]:.1f} at the end (2 cores shared with "
        "other work: wall times are noisy, the gate / ingest ratio less so).",
        "",
        "| resource | rows | quarantined | ingest s | gate s | gate / ingest | rows/s (gate) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for rid, n, q, held, ingest_s, gate_s in rows:
        mark = " (held)" if held else ""
        lines.append(
            f"| {rid}{mark} | {n:,} | {q:,} | {ingest_s:.2f} | {gate_s:.2f} | "
            f"{gate_s / ingest_s if ingest_s else 0:.2f} | {n / gate_s if gate_s else 0:,.0f} |"
        )
    lines += [
        f"| **total** | {total_n:,} | {sum(r[2] for r in rows):,} | {total_i:.2f} | "
        f"{total_g:.2f} | {total_g / total_i:.2f} | {total_n / total_g:,.0f} |",
        "",
        f"Gate adds **{100 * total_g / total_i:.0f}%** to the ingest time of the same data "
        f"(target ≤ 50%; the median of {len(ratios)} passes, all of them: "
        f"{', '.join(f'{100 * r:.0f}%' for r in ratios)}); for the {len(big)} batches of "
        f"≥ 100k rows it adds **{100 * big_g / big_i:.0f}%**. Data Docs for all 15 resources: "
        f"{docs_s:.2f} s.",
        "",
        f"Not in the table: a fresh process pays {_gx_import_seconds():.1f} s to import GX and "
        "set up its context before its first gate. `govlake run` pays it once; an Airflow "
        "worker pays it in every gate task's process unless it imported GX before forking.",
        "",
        "### How to run the rules (registered_person, 568k rows, 17 expectations)",
        "",
        "| option | s | note |",
        "|---|---:|---|",
        *[f"| {name} | {s:.2f} | {note} |" for name, s, note in options],
        "",
        "GX's SQL datasource on DuckDB is not an option on this stack (duckdb-engine reads "
        "results after GX closed the connection; no regex for the dialect, STACK_NOTES).",
    ]
    print(write_section("quality", "\n".join(lines)))


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent / "src"))
    main()
