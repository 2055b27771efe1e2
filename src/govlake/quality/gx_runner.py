"""Running Great Expectations: a quiet in-memory context, a suite run over a frame, and the
result kept as JSON for Data Docs.

GX logs hundreds of registry lines at DEBUG/INFO and draws tqdm bars per validation; none of
that belongs in the CLI's or an Airflow task's output: :func:`quiet_gx` before importing
``great_expectations``, contexts from :func:`ephemeral_context`. Suites run inside
``govlake.patches.gx.frozen_expectations`` (GX's fixed cost per expectation paid once).
"""

from __future__ import annotations

import functools
import logging
import os
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from govlake.quality.suites import NOT_NULL
from govlake.quality.verdict import GateError, Validation

PARTIAL = 20  # unexpected values kept in the stored GX result (Data Docs)


def quiet_gx() -> None:
    """Environment and log levels that keep GX silent; idempotent and cheap."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("GE_USAGE_STATISTICS_URL", "")
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module=r"great_expectations(\..*)?")
    warnings.filterwarnings("ignore", message=r".*great_expectations.*")


def ephemeral_context(docs_dir: Path | None = None) -> Any:
    """An in-memory GX context: analytics off, progress bars off, optional static Data Docs."""
    quiet_gx()
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    sites = {}
    if docs_dir is not None:
        sites = {
            "govlake": {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(Path(docs_dir).resolve()),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            }
        }
    config = DataContextConfig(
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        data_docs_sites=sites,
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def run_suite(
    frame: Any, expectations: list[Any], suite_name: str, *, normalised: bool = False
) -> Validation:
    """Validate ``frame`` with GX (pandas engine); positions are frame positions.

    ``normalised``: the frame is a checked frame (``quality.frame``), so the rules skip
    normalising. The batch is validated directly (``Batch.validate``) against a process-wide
    in-memory context: nothing is stored in GX's own stores (the gate keeps results in the
    lake), nor does GX serialise every failing index there.
    """
    from contextlib import nullcontext

    import great_expectations as gx

    from govlake.patches.gx import frozen_expectations
    from govlake.quality.checks import already_normalised
    from govlake.quality.suites import columns_of, expectation_name

    started = time.perf_counter()
    by_name: dict[str, Any] = {}
    for e in expectations:
        name = expectation_name(e)
        e.meta = {**(e.meta or {}), "govlake": {**(e.meta or {}).get("govlake", {}), "name": name}}
        by_name[name] = e
    suite = gx.ExpectationSuite(name=suite_name, expectations=expectations)
    with already_normalised() if normalised else nullcontext(), frozen_expectations():
        batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
        result = batch.validate(
            suite,
            result_format={
                "result_format": "COMPLETE",
                "partial_unexpected_count": PARTIAL,
                # a pandas query text listing every failing row: unused, and costs a copy
                # of the failing rows of the whole frame per expectation
                "return_unexpected_index_query": False,
            },
        )
    rows, failing, errors = [], {}, []

    @functools.cache
    def present(column: str) -> np.ndarray:  # a column's non-missing rows, once per column
        return frame[column].notna().to_numpy()

    for r in result.results:
        name = r.expectation_config.meta["govlake"]["name"]
        problem = _exception(r.exception_info)
        if problem:
            errors.append(f"{name}: {problem}")
            continue
        res = r.result or {}
        unexpected = int(res.get("unexpected_count") or 0)
        index = [int(i) for i in res.get("unexpected_index_list") or []]
        if len(index) != unexpected:
            errors.append(f"{name}: GX reported {unexpected} failures but {len(index)} rows")
        failing[name] = index
        kind = r.expectation_config.type
        cols = columns_of(by_name[name])
        # rows the rule looked at: all of them for not-null, else those with every value
        evaluated = len(frame)
        if kind != NOT_NULL:
            evaluated = int(np.logical_and.reduce([present(c) for c in cols]).sum())
        rows.append({
            "expectation": name, "expectation_type": kind, "column_name": ",".join(cols),
            "evaluated": evaluated, "failed": unexpected, "success": bool(r.success),
        })  # fmt: skip
    if errors:
        raise GateError(f"{suite_name}: expectation(s) could not run: " + "; ".join(errors))
    stored = stored_result(result)
    return Validation(rows, failing, by_name, stored, time.perf_counter() - started)


_warmed_in: int | None = None  # the process that imported GX ahead of any gate (see warm_up)


def warm_up() -> None:
    """Import GX and build its context now, in a process that forks tasks later.

    ``govlake.airflow_workers`` calls it where Airflow forks its tasks: every gate task then
    inherits a warm GX instead of importing it again. Idempotent."""
    global _warmed_in
    _batch_definition()
    import govlake.quality.gate  # noqa: F401  (the gate's own imports: pandas, pyarrow, duckdb)

    if _warmed_in is None:
        _warmed_in = os.getpid()


def warmth() -> str:
    """Where this process's GX comes from, for the gate's log."""
    if _warmed_in is not None and _warmed_in != os.getpid():
        return f"Great Expectations preloaded by the worker (pid {_warmed_in}) before this task"
    if _batch_definition.cache_info().currsize:
        return "Great Expectations already loaded in this process"
    return "Great Expectations not preloaded: this task imports it"


@functools.cache
def _batch_definition() -> Any:
    """One in-memory GX context and pandas data source per process (a worker keeps it warm).

    Everything alive once GX is imported and its context built (modules, classes,
    registries) lives as long as the process: it is frozen out of the cyclic GC, so a full
    collection during a gate scans only what the gate made, as the build does after importing
    dbt."""
    import gc

    definition = (
        ephemeral_context()
        .data_sources.add_pandas("govlake")
        .add_dataframe_asset("raw_batch")
        .add_batch_definition_whole_dataframe("batch")
    )
    gc.collect()
    gc.freeze()
    return definition


def _exception(info: Any) -> str | None:
    """The message of an exception GX caught, whichever shape it reports it in (top level, or
    one entry per metric in 1.x)."""
    if not isinstance(info, dict):
        return None
    if info.get("raised_exception"):
        return str(info.get("exception_message"))
    for value in info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            return str(value.get("exception_message"))
    return None


def stored_result(result: Any) -> dict:
    """The GX result as JSON, small: Data Docs show only the first few failing values (the
    quarantine has them all); trimmed before serialising, which is otherwise slow.

    Serialised field by field: GX's ``to_json_dict`` deep-copies the whole result three times
    over; the output is the same dict (a test compares them).
    """
    from great_expectations.util import convert_to_json_serializable as json_value

    results = []
    for r in result.results:
        res = r.result or {}
        for key in ("unexpected_list", "unexpected_index_list"):
            if isinstance(res.get(key), list):
                res[key] = res[key][:PARTIAL]
        res.pop("unexpected_index_query", None)
        results.append({
            "success": r.success, "expectation_config": r.expectation_config.to_json_dict(),
            "result": json_value(res), "meta": json_value(r.meta),
            "exception_info": json_value(r.exception_info),
        })  # fmt: skip
    return {
        "success": result.success, "results": results, "suite_name": result.suite_name,
        "suite_parameters": json_value(result.suite_parameters),
        "statistics": json_value(result.statistics), "meta": json_value(result.meta),
        "id": result.id,
    }  # fmt: skip
