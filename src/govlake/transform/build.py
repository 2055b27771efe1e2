"""``build()``: dbt on DuckDB, in-process, into a new warehouse file swapped in atomically.

Why this shape:
- dbt's programmatic runner (``dbtRunner``) runs in the calling process (Airflow task, CLI,
  test): one parse, no subprocess start-up, the result objects in hand (see dbt_project/README).
- Analysts keep reading the old warehouse during a build: the build copies it aside, dbt writes
  the copy, and ``os.replace`` swaps it in only when every model and test passed. A reader holding
  the old file keeps its inode; a failed or killed build leaves the old file untouched.
- Two files: the analysts' warehouse holds only what analysts may see (base, thematic, open,
  conflict counts, reference codes); the builder's ``_build/restricted.duckdb`` holds staging
  views over the accepted zone, the current rows per resource and conflict details.
- The dbt project is assembled in ``<lake>/_build/dbt_project`` from ``dbt_project/`` and the
  files the register renders (``govlake.transform.project``); no tracked file is written.
- Incremental: the accepted zone's file list and the project's fingerprint are stored in the
  warehouse (``_govlake.build_state``). No new file → dbt does not run at all (nothing changes,
  milliseconds). New files → their batch ids go to dbt (``GOVLAKE_DBT_NEW_BATCHES``), dbt selects
  the touched sources and what is downstream, the ``intermediate`` models read only those batches
  (plus, for a snapshot resource, its delivery dates from the file list,
  ``GOVLAKE_DBT_SNAPSHOTS``, to end the keys a newer snapshot lacks) and ``base_person`` /
  ``base_household`` recompute only the keys they changed or ended. A file that
  changed or vanished, a deletion vector new for a part already built (a retraction), or a
  changed dbt project → full refresh.
- Memory: DuckDB's ``memory_limit`` and a spill folder in the lake (settings
  ``build_memory_limit`` / ``build_spill_dir``) for dbt (profile) and the export; each run
  empties its spill folder.
- Base and open tables that the build rebuilt are then exported to ``curated/`` Parquet, each
  file written aside and renamed (dbt-duckdb's external materialisation writes in place and
  cannot be incremental).
- ``phases`` says where the time went (an incremental district build is dominated by Python and
  dbt start-up, see bench/RESULTS.md).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from govlake.catalogue.facts import write_facts
from govlake.lake import Lake, atomic_path
from govlake.patches import dbt as dbt_patches
from govlake.patches.dbt_duckdb import release_database
from govlake.settings import Settings, get_settings
from govlake.transform.project import assemble, render_project

BEIJING = dt.timezone(dt.timedelta(hours=8))


def beijing_today(moment: dt.datetime | None = None) -> dt.date:
    """The district's date (UTC+8) now, or of ``moment``: the day freshness is judged on."""
    return (moment or dt.datetime.now(dt.UTC)).astimezone(BEIJING).date()


EXPORTED_SCHEMAS = ("base", "open")  # → curated/<schema>/<model>.parquet
STATE_SCHEMA = "_govlake"


@dataclass
class BuildResult:
    """What a build did; ``summary()`` travels through XCom."""

    success: bool
    message: str
    warehouse: str
    skipped: bool = False
    full_refresh: bool = False
    new_batches: list[str] = field(default_factory=list)
    seconds: float = 0.0
    nodes: dict[str, int] = field(default_factory=dict)  # status → count
    failures: list[str] = field(default_factory=list)
    exported: list[str] = field(default_factory=list)
    phases: dict[str, float] = field(default_factory=dict)  # phase → seconds (what dominated)

    def summary(self) -> dict:
        return asdict(self)


def accepted_files(lake: Lake, resources: list[str]) -> dict[str, list[int]]:
    """Relative path → [size, mtime_ns] of every visible accepted part and deletion vector."""
    out: dict[str, list[int]] = {}
    for rid in resources:
        folder = lake.accepted(rid)
        if not folder.exists():
            continue
        parts = folder.glob("batch_date=*/*.parquet")
        deletes = lake.accepted_deletes(rid).glob("batch_date=*/*.parquet")
        for path in [*parts, *deletes]:
            if path.name.startswith("."):
                continue
            st = path.stat()
            out[str(path.relative_to(lake.root))] = [st.st_size, st.st_mtime_ns]
    return out


def batch_id_of(relative: str) -> str:
    return Path(relative).stem.removeprefix("part-")


def snapshot_dates(
    files: dict[str, list[int]], new: set[str], resources: list[str]
) -> dict[str, list[list]]:
    """Per snapshot resource, each delivery date with its first batch id and whether a batch
    of that date is new: the history models end the keys a later snapshot lacks. From the file
    list, so a full and an incremental build see the same snapshots without reading them."""
    out: dict[str, list[list]] = {}
    for rid in resources:
        dates: dict[str, list] = {}
        prefix = f"accepted/{rid}/batch_date="
        for rel in files:
            if rel.startswith(prefix):
                day = rel[len(prefix) :].split("/", 1)[0]
                entry = dates.setdefault(day, [day, batch_id_of(rel), False])
                entry[1] = min(entry[1], batch_id_of(rel))
                entry[2] = entry[2] or rel in new
        out[rid] = [dates[d] for d in sorted(dates)]
    return out


def previous_state(warehouse: Path) -> tuple[dict[str, list[int]], str] | None:
    """(accepted files, project fingerprint) the current warehouse was built from.

    None: no usable warehouse (missing, unreadable, or built before the state was recorded).
    """
    if not warehouse.exists():
        return None
    import duckdb

    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error:
        return None
    try:
        rows = con.execute(f"select files, project from {STATE_SCHEMA}.build_state").fetchall()
    except duckdb.Error:
        return None
    finally:
        con.close()
    return (json.loads(rows[0][0]), rows[0][1]) if rows else None


@contextmanager
def _phase(result: BuildResult, name: str):
    """Time one phase of the build into ``result.phases`` (the benchmark reports them)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        result.phases[name] = result.phases.get(name, 0.0) + time.perf_counter() - started


@contextmanager
def _build_lock(path: Path):
    """One dbt writer at a time (DuckDB allows one writing process per file)."""
    import fcntl

    with open(path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@contextmanager
def _environ(values: dict[str, str]):
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _invoke(args: list[str], run_results: Path | None) -> tuple[bool, dict, list[str], str, set]:
    """Run dbt; statuses, failures, error, and the (schema, table) of every model it built.

    ``run_results``: write dbt's run_results.json there ourselves (incremental runs pass
    ``--no-write-json``, which would skip it along with the manifest).
    """
    from dbt.cli.main import dbtRunner

    res = dbtRunner().invoke(args)
    nodes: dict[str, int] = {}
    failures: list[str] = []
    built: set[tuple[str, str]] = set()
    results = getattr(res.result, "results", None) or []
    for r in results:
        status = str(r.status)
        nodes[status] = nodes.get(status, 0) + 1
        if status in {"error", "fail"}:
            failures.append(f"{r.node.unique_id}: {(r.message or '').strip()[:500]}")
        if status == "success" and r.node.resource_type == "model":
            built.add((r.node.schema, r.node.alias))
    if run_results is not None and hasattr(res.result, "write"):
        res.result.write(str(run_results))
    error = f"{type(res.exception).__name__}: {res.exception}" if res.exception else ""
    return bool(res.success), nodes, failures, error, built


def _sql_string(value: str) -> str:
    """A SQL string literal. Not a query parameter: DuckDB imports pandas (~0.4 s) on the first
    parameterised query of a process, and a small incremental build has no other use for it."""
    return "'" + value.replace("'", "''") + "'"


def _write_state(path: Path, files: dict[str, list[int]], fingerprint: str) -> None:
    import duckdb

    con = duckdb.connect(str(path))
    try:
        con.execute(f"create schema if not exists {STATE_SCHEMA}")
        con.execute(
            f"create or replace table {STATE_SCHEMA}.build_state as select "
            f"{_sql_string(json.dumps(files, sort_keys=True))}::varchar as files, "
            f"{_sql_string(fingerprint)}::varchar as project, now() as built_at"
        )
        con.execute("checkpoint")
    finally:
        con.close()


def duckdb_limits(settings: Settings, spill: Path) -> dict[str, str]:
    """DuckDB settings that bound a build's memory: above the limit it spills to ``spill`` (in
    the lake's spill folder) rather than growing; the dbt profile applies the same ones."""
    return {
        "memory_limit": settings.build_memory_limit,
        "temp_directory": str(spill),
        "preserve_insertion_order": "false",
    }


def spill_folder(settings: Settings, name: str | None = None) -> Path:
    """A folder of its own under the spill folder: dbt's is fixed (``dbt``: the path is in the
    profile, and a changed profile costs dbt a full re-parse; builds hold the lock), an export's
    is per run (it may still run while the next build, which waited for the lock, spills)."""
    return settings.spill_dir / (name or f"export-{os.getpid()}-{time.time_ns()}")


def export_curated(
    warehouse: Path,
    lake: Lake,
    only: set[tuple[str, str]] | None = None,
    settings: Settings | None = None,
) -> list[str]:
    """Base and open tables → ``curated/<schema>/<model>.parquet``, each written aside first.

    ``only``: the tables this build rebuilt (an incremental build leaves the others as they
    were); a table whose Parquet file is missing is exported either way.
    """
    import duckdb

    spill = spill_folder(settings or get_settings())
    config = duckdb_limits(settings or get_settings(), spill)
    spill.mkdir(parents=True, exist_ok=True)  # DuckDB creates the last folder only
    con = duckdb.connect(str(warehouse), read_only=True, config=config)
    written = []
    try:
        schemas = ", ".join(_sql_string(s) for s in EXPORTED_SCHEMAS)
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            f"where table_schema in ({schemas}) and table_type = 'BASE TABLE' order by all"
        ).fetchall()
        for schema, name in tables:
            target = lake.curated / schema / f"{name}.parquet"
            if only is not None and (schema, name) not in only and target.exists():
                continue
            with atomic_path(target) as tmp:
                con.execute(
                    f'copy (select * from "{schema}"."{name}") to {_sql_string(str(tmp))} '
                    "(format parquet)"
                )
            written.append(str(target.relative_to(lake.root)))
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)
    return written


def build(
    select: list[str] | None = None,
    *,
    full_refresh: bool = False,
    settings: Settings | None = None,
    as_of: dt.date | None = None,
) -> BuildResult:
    """Run ``dbt build`` (seeds, models, tests) and swap the new warehouse in on success.

    ``as_of``: the day the catalogue judges freshness on (default: today in Beijing); a DAG
    passes its run's date so that a rerun gives the same answer.
    """
    from govlake.register import load_register

    started = time.perf_counter()
    settings = settings or get_settings()
    lake = Lake(settings.lake_root)
    warehouse = settings.warehouse
    result = BuildResult(success=True, message="", warehouse=str(warehouse))
    work = lake.root / "_build"
    with _phase(result, "prepare"):
        register = load_register(settings.register_dir)
        dbt_project = render_project(register, work / "dbt_project")
        resources = sorted(register.resources)
        files = accepted_files(lake, resources)
        fingerprint = dbt_project.fingerprint
        state = None if full_refresh else previous_state(warehouse)
    before = state[0] if state else None
    same_project = state is not None and state[1] == fingerprint
    if before is not None and before == files and same_project and not select:
        result.skipped = True
        result.message = "warehouse up to date: no new accepted batch since the last build"
        result.seconds = time.perf_counter() - started
        return result
    changed = before is None or any(files.get(k) != v for k, v in before.items())
    # a deletion vector new for a part already built (a re-delivery's retraction, issue #10):
    # the incremental models cannot drop the keys it removes, so a full refresh too
    changed = changed or any(
        "/_deletes/" in k and k.replace("/_deletes/", "/", 1) in before
        for k in set(files) - set(before or {})
    )
    result.full_refresh = full_refresh or changed or not same_project
    new = sorted(files) if before is None else sorted(set(files) - set(before))
    result.new_batches = sorted({batch_id_of(f) for f in new})
    empty = [
        r for r in resources if not any(k.startswith(f"accepted/{r}/batch_date=") for k in files)
    ]
    snapshots = [r for r in resources if register.resource(r).delivery.kind == "snapshot"]
    with_deletes = [r for r in resources if r not in empty
                    and any(k.startswith(f"accepted/{r}/_deletes/") for k in files)]  # fmt: skip

    work.mkdir(parents=True, exist_ok=True)
    restricted = work / "restricted.duckdb"
    # fixed names (the DuckDB catalogue name is the file stem; stable names keep dbt's partial
    # parse valid); the next warehouse sits beside the live one so os.replace is a rename
    next_dir = warehouse.parent / f".{warehouse.stem}.next"
    next_wh, next_rs = next_dir / warehouse.name, next_dir / restricted.name
    spill = spill_folder(settings, "dbt")
    args = [
        "build",
        "--project-dir", str(dbt_project.path),
        "--profiles-dir", str(dbt_project.path),
        "--target-path", str(work / "dbt_target"),
        "--log-path", str(work / "dbt_logs"),
        "--quiet",
    ]  # fmt: skip
    if result.full_refresh:
        args.append("--full-refresh")
    else:
        # the manifest is only rewritten on full builds (~0.5 s twice per run otherwise);
        # run_results.json is written by _invoke
        args.append("--no-write-json")
    if select:
        args += ["--select", *select]
    elif not result.full_refresh:
        # Only what the new batches can change: each touched source and everything downstream;
        # untouched models (and their tests) stay as they are in the copied warehouse.
        touched = sorted({k.split("/")[1] for k in new})
        args += ["--select", *(f"source:{register.resource(r).department}.{r}+" for r in touched)]
    env = {
        "GOVLAKE_DBT_WAREHOUSE": str(next_wh.resolve()),
        "GOVLAKE_DBT_RESTRICTED": str(next_rs.resolve()),
        "GOVLAKE_LAKE_ROOT": str(lake.root.resolve()),
        "GOVLAKE_REGISTER_DIR": str(settings.register_dir.resolve()),
        "GOVLAKE_DBT_THREADS": str(settings.duckdb_threads or os.cpu_count() or 2),
        "GOVLAKE_DBT_MEMORY_LIMIT": settings.build_memory_limit,
        "GOVLAKE_DBT_SPILL_DIR": str(spill),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        # run parameters as env vars: changing --vars would force a full re-parse
        "GOVLAKE_DBT_EMPTY_SOURCES": json.dumps(empty),
        "GOVLAKE_DBT_DELETES": json.dumps(with_deletes),
        "GOVLAKE_DBT_NEW_BATCHES": json.dumps(None if result.full_refresh else result.new_batches),
        "GOVLAKE_DBT_SNAPSHOTS": json.dumps(snapshot_dates(files, set(new), snapshots)),
        "GOVLAKE_DBT_AS_OF": (as_of or beijing_today()).isoformat(),
    }
    with _build_lock(work / "build.lock"):
        with _phase(result, "prepare"):
            assemble(dbt_project)
            write_facts(lake, register)
        shutil.rmtree(next_dir, ignore_errors=True)
        next_dir.mkdir(parents=True)
        spill.mkdir(parents=True, exist_ok=True)  # DuckDB creates the last folder only
        try:
            if not result.full_refresh or select:  # a selection builds on the rest
                with _phase(result, "copy"):
                    for live, nxt in ((warehouse, next_wh), (restricted, next_rs)):
                        if live.exists():
                            shutil.copyfile(live, nxt)
            with _phase(result, "dbt import"):
                import dbt.cli.main  # noqa: F401  (~1.5 s of class set-up, timed on its own)

                dbt_patches.freeze_imports()
                dbt_patches.reuse_json_schemas(work)
            with _phase(result, "dbt"), _environ(env):
                run_results = None if result.full_refresh else work / "dbt_target/run_results.json"
                ok, result.nodes, result.failures, error, built = _invoke(args, run_results)
            with _phase(result, "close"):
                release_database()
            if not ok:
                result.success = False
                detail = "\n".join(result.failures) or error or "dbt build failed"
                result.message = f"dbt build failed; warehouse left unchanged.\n{detail}"
                result.seconds = time.perf_counter() - started
                return result
            with _phase(result, "swap"):
                # a selection rebuilt part of the project: keep what the rest was built from
                kept = (before or {}, state[1] if state else "") if select else (files, fingerprint)
                _write_state(next_wh, *kept)
                os.replace(next_rs, restricted)
                os.replace(next_wh, warehouse)
        finally:
            release_database()
            shutil.rmtree(next_dir, ignore_errors=True)
            shutil.rmtree(spill, ignore_errors=True)
    with _phase(result, "export"):
        # a selection re-exports only what it rebuilt, even when the project changed
        everything = result.full_refresh and not select
        result.exported = export_curated(warehouse, lake, None if everything else built, settings)
    result.seconds = time.perf_counter() - started
    counts = ", ".join(f"{n} {s}" for s, n in sorted(result.nodes.items()))
    mode = "full" if result.full_refresh else f"incremental ({len(result.new_batches)} new)"
    result.message = f"dbt build {mode} ok in {result.seconds:.1f} s: {counts} → {warehouse}"
    return result
