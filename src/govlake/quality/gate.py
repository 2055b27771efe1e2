"""The quality gate: one raw batch → accepted rows + quarantined rows with reasons.

GX (pandas engine, ephemeral context) validates a *checked frame*: every register field with
its cosmetic noise undone (NFKC, trimmed, blank → null), so a full-width or padded value is
judged on its content. GX returns, per expectation, the positions of the failing rows; each
expectation's ``explain`` writes the reason. Outputs keep the raw columns untouched:

* ``accepted/<resource>/batch_date=<d>/part-<batch>.parquet``: rows that passed everything;
* ``quarantine/<resource>/batch_date=<d>/part-<batch>.parquet``: each failing row once, with
  ``_expectation`` and ``_reason`` (all failures of the row, joined by "; ");
* ``quality_results/<resource>/<batch>.parquet``: one row per expectation per run (appended).

A batch whose failure rate exceeds the resource's ``max_failure_rate`` is *held*: nothing in
accepted, manifest status ``held``; later batches are gated independently. Every write is
atomic and a rerun rewrites the same files, so the gate is idempotent.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from govlake.lake import Lake, atomic_path, link_or_copy
from govlake.register import FieldFormat, FieldType, Register, Resource

log = logging.getLogger(__name__)

SEPARATOR = "; "
CODE_FORMATS = frozenset(FieldFormat)  # every domain format is a code: no inner spaces
CODE_TYPES = frozenset({FieldType.integer, FieldType.decimal, FieldType.month, FieldType.boolean})
PARTIAL = 20  # unexpected values kept in the stored GX result (Data Docs)
NOT_NULL = "expect_column_values_to_not_be_null"
SMALL = 50_000  # rows: below this, handing work to threads costs more than it saves


class GateError(RuntimeError):
    """The gate itself could not run (missing batch, an expectation raised): not a data verdict."""


@dataclass
class GateResult:
    """What the gate decided for one batch; ``message`` is what a failed Airflow task shows."""

    resource: str
    batch_id: str
    batch_date: str
    delivered: int
    accepted: int
    quarantined: int
    failure_rate: float
    max_failure_rate: float
    held: bool
    message: str
    failures: dict[str, int] = field(default_factory=dict)  # expectation → failing rows
    run_id: str = ""
    duration_s: float = 0.0
    accepted_path: str | None = None
    quarantine_path: str | None = None

    @property
    def status(self) -> str:
        return "held" if self.held else "accepted"

    def to_dict(self) -> dict:
        return asdict(self)


# --- manifest (the ingest package's API; one place to switch if it changes) -------------------


def _manifest_entry(lake: Lake, resource_id: str, batch_id: str) -> dict | None:
    from govlake.ingest import read_manifest

    found = [e for e in read_manifest(resource_id, lake=lake) if e.get("batch_id") == batch_id]
    with_rows = [e for e in found if e.get("raw_path")]
    return (with_rows or found or [None])[0]


def _set_status(lake: Lake, entry: dict | None, status: str, **extra: Any) -> None:
    if entry is None:
        return
    from govlake.ingest import update_status

    update_status(entry, status, lake=lake, **extra)


def _raw_path(lake: Lake, resource_id: str, batch_id: str, entry: dict | None) -> Path:
    if entry and entry.get("raw_path"):
        path = lake.root / entry["raw_path"]
        if path.exists():
            return path
    matches = sorted(lake.raw(resource_id).glob(f"batch_date=*/part-{batch_id}.parquet"))
    if not matches:
        raise GateError(f"{resource_id}: no raw batch {batch_id} under {lake.raw(resource_id)}")
    return matches[0]


# --- the checked frame ------------------------------------------------------------------------


def checked_frame(raw: pa.Table, resource: Resource, *, read: set[str] | None = None) -> Any:
    """The register fields with delivery noise undone (codes: no whitespace, upper case; text:
    trimmed; blank → null) plus ``_source_row``, as a pandas frame.

    A column with few distinct values (sex, street, dates, …) is dictionary-encoded: it is
    normalised once per distinct value and reaches GX as a pandas ``Categorical``, so the
    rules run once per distinct value too (``expectations._apply``), and GX's own row copies
    get cheaper (``bench/quality.py`` compares it with Arrow strings only). Keys and
    identifiers, unique by nature, stay Arrow-backed strings. The gate reads the other columns
    (:func:`encoded_columns`) from Parquet as dictionaries, as ingest stored them: hashing
    570k dates and codes again cost ~70 ms of the person batch.

    ``read``: the columns whose values some rule reads (:func:`content_columns`). The others
    only need to say what is blank: they become a one-category marker (``present_marker``),
    neither normalised (NFKC over 220k addresses cost more than every rule on them) nor
    copied as text each time GX copies the frame.
    """
    from govlake.quality.checks import arrow, normalise_code, normalise_text, present_marker

    def one(f: Any) -> pa.Array:
        column = raw.column(f.name) if f.name in raw.column_names else None
        if column is None:  # an optional field the department did not deliver
            column = pa.nulls(raw.num_rows, pa.string())
        if read is not None and f.name not in read:
            return present_marker(arrow(column))
        code = f.format in CODE_FORMATS or f.type in CODE_TYPES
        normalise = normalise_code if code else normalise_text
        if _unique(f):
            return normalise(arrow(column))
        if isinstance(column.type, pa.DictionaryType):  # read as Parquet stored it: no hashing
            return _normalised(column.unify_dictionaries().combine_chunks(), normalise)
        return _normalised(arrow(column), normalise)

    # Arrow's kernels release the GIL: the columns of a large batch are normalised side by side
    mapper = map if raw.num_rows < SMALL else _pool().map
    columns = dict(zip((f.name for f in resource.fields), mapper(one, resource.fields),
                       strict=True))  # fmt: skip
    if "_source_row" in raw.column_names:
        columns["_source_row"] = raw.column("_source_row").combine_chunks()
    else:
        columns["_source_row"] = pa.array(np.arange(1, raw.num_rows + 1, dtype=np.int64))
    return pa.table(columns).to_pandas()


def content_columns(expectations: list[Any]) -> set[str]:
    """Columns some expectation reads the values of (not-null only asks what is blank)."""
    from govlake.quality.suites import columns_of

    return {c for e in expectations if e.expectation_type != NOT_NULL for c in columns_of(e)}


def _unique(f: Any) -> bool:
    """A key or an identifier is (nearly) unique: encoding it would cost more than it saves."""
    return bool(f.key or f.format in (FieldFormat.citizen_id, FieldFormat.credit_code))


def encoded_columns(resource: Resource, read: set[str] | None) -> list[str]:
    """The fields :func:`checked_frame` dictionary-encodes: read them from Parquet as
    dictionaries (``read_dictionary``), as the file stores them, and nothing is hashed."""
    return [f.name for f in resource.fields if (read is None or f.name in read) and not _unique(f)]


def _normalised(values: pa.Array, normalise: Any) -> pa.Array:
    """``normalise(values)``, computed once per distinct value; dictionary-encoded when at most
    half of the values are distinct, else plain strings. ``values`` may be a DictionaryArray
    already (a Parquet dictionary column)."""
    encoded = values if isinstance(values, pa.DictionaryArray) else pc.dictionary_encode(values)
    normalised = normalise(encoded.dictionary)
    if len(encoded.dictionary) * 2 > len(encoded):
        return normalised.take(encoded.indices)
    # normalising can merge entries (" 男" and "男"): encode the normalised dictionary again
    merged = pc.dictionary_encode(normalised)
    indices = merged.indices.take(encoded.indices)
    return pa.DictionaryArray.from_arrays(indices, merged.dictionary)


def _reuse_ingest_checks(footer: Any, frame: Any, resource: Resource, as_of: dt.date) -> None:
    """Ingest already ran the citizen-ID rule on every ID of the batch (it counts them for the
    manifest) and recorded the failing rows in the raw part's footer. Made by the same rule
    code for the same day, that record stands in for running the rule again (0.1 s of the
    person batch); otherwise (older parts, changed rules) the expectations compute it."""
    from govlake.ingest.idcheck import recorded_invalid_rows
    from govlake.quality.checks import remember_invalid_ids

    recorded = recorded_invalid_rows(footer, as_of=as_of, rows=len(frame))
    for f in resource.fields:
        if f.format == FieldFormat.citizen_id and f.name in recorded:
            remember_invalid_ids(frame[f.name], as_of, recorded[f.name])


# --- reasons for built-in expectations --------------------------------------------------------


def _explain(expectation: Any, frame: Any, index: list, labels: dict[str, str]) -> list[str]:
    """The ``_reason`` text for each failing row of one expectation."""
    from govlake.quality.checks import in_set_reason

    if hasattr(expectation, "explain"):
        return expectation.explain(frame, index, labels)
    kind = expectation.expectation_type
    column = getattr(expectation, "column", None)
    label = labels.get(column, column)
    if kind == NOT_NULL:
        return [f"{label} is blank (mandatory)"] * len(index)
    values = frame.loc[index, column].tolist() if column else [None] * len(index)
    if kind == "expect_column_values_to_be_in_set":
        source = (expectation.meta or {}).get("govlake", {}).get("values_from") or "the list"
        source = source.replace("vocab:", "vocabulary ")
        return [in_set_reason(v, label, source) for v in values]
    if kind == "expect_column_values_to_match_regex":
        rule = (expectation.meta or {}).get("govlake", {}).get("rule", "format")
        return [f"{label} {v!r} is not a valid {rule}" for v in values]
    return [f"{label} {v!r} fails {kind}" for v in values]


# --- running GX -------------------------------------------------------------------------------


@dataclass
class Validation:
    """One GX run over a frame: per-expectation outcome and failing row positions."""

    rows: list[dict]  # expectation, column, evaluated, failed, success
    failing: dict[str, list[int]]  # expectation name → row positions
    expectations: dict[str, Any]
    gx_result: dict
    duration_s: float


def run_suite(
    frame: Any, expectations: list[Any], suite_name: str, *, normalised: bool = False
) -> Validation:
    """Validate ``frame`` with GX (pandas engine); positions are frame positions.

    ``normalised``: the frame is a :func:`checked_frame`, so the rules skip normalising.
    The batch is validated directly (``Batch.validate``) against a process-wide in-memory
    context: nothing is stored in GX's own stores (the gate keeps results in the lake), which
    saved a fixed ~0.1 s per batch plus GX's serialising of every failing index.
    """
    from contextlib import nullcontext

    import great_expectations as gx

    from govlake.quality.checks import already_normalised
    from govlake.quality.gxquiet import frozen_expectations
    from govlake.quality.suites import columns_of, expectation_name

    started = time.perf_counter()
    by_name: dict[str, Any] = {}
    for e in expectations:
        name = expectation_name(e)
        e.meta = {**(e.meta or {}), "govlake": {**(e.meta or {}).get("govlake", {}), "name": name}}
        by_name[name] = e
    suite = gx.ExpectationSuite(name=suite_name, expectations=expectations)
    batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
    with already_normalised() if normalised else nullcontext(), frozen_expectations():
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
    stored = _stored(result)
    return Validation(rows, failing, by_name, stored, time.perf_counter() - started)


@functools.cache
def _batch_definition() -> Any:
    """One in-memory GX context and pandas data source per process (a worker keeps it warm).

    Everything alive once GX is imported and its context built (~300k objects: modules,
    classes, registries) lives as long as the process: it is frozen out of the cyclic GC, so a
    full collection during a gate scans only what the gate made (0.15 s → a few ms), as the
    build does after importing dbt."""
    import gc

    from govlake.quality.gxquiet import ephemeral_context

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


def _stored(result: Any) -> dict:
    """The GX result as JSON, small: Data Docs show only the first few failing values (the
    quarantine has them all); trimmed before serialising, which is otherwise slow.

    Serialised field by field: GX's ``to_json_dict`` deep-copies the whole result three times
    over (~10 ms a batch); the output is the same dict (a test compares them).
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


# --- the gate ---------------------------------------------------------------------------------


def _defaults(lake: Lake | None, register: Register | None) -> tuple[Lake, Register]:
    from govlake.register import load_register
    from govlake.settings import get_settings

    return lake or Lake(get_settings().lake_root), register or load_register()


@functools.cache
def _pool() -> ThreadPoolExecutor:
    """Threads for Arrow and Parquet work, which runs outside the GIL (one pool per process)."""
    return ThreadPoolExecutor(max_workers=4, thread_name_prefix="govlake-gate")


# a forked child (an Airflow task) does not inherit the parent's threads: it makes its own pool
os.register_at_fork(after_in_child=_pool.cache_clear)


def _done(value: Any) -> Future:
    done: Future = Future()
    done.set_result(value)
    return done


def _read(path: Path, columns: list[str] | None = None, dictionary: list[str] | None = None
          ) -> pa.Table:  # fmt: skip
    table = pq.read_table(path, columns=columns, read_dictionary=dictionary or None)
    return table.replace_schema_metadata(None)


def _write(table: pa.Table, target: Path) -> None:
    with atomic_path(target) as tmp:
        pq.write_table(table, tmp, compression="snappy")


def validate_batch(
    resource_id: str,
    batch_id: str,
    *,
    lake: Lake | None = None,
    register: Register | None = None,
    quality_dir: Path | None = None,
) -> GateResult:
    """Gate one raw batch: accepted + quarantine (+ reasons), results, manifest status.

    Accepting writes no copy of the good rows: the accepted part is the raw part itself (a
    hard link) plus a deletion vector naming the quarantined rows (``lake.py``), which dbt
    staging anti-joins. Rewriting the accepted rows cost about as much as validating them.
    The manifest says ``accepted`` only once both files are in place.
    """
    from govlake.quality.checks import already_normalised
    from govlake.quality.findings import add_ingest_findings  # issue #10
    from govlake.quality.results import write_results
    from govlake.quality.retraction import refuse_superseded, supersede_older  # issue #10
    from govlake.quality.suites import suite_expectations

    started = time.perf_counter()
    lake, register = _defaults(lake, register)
    res = register.resource(resource_id)
    entry = _manifest_entry(lake, res.id, batch_id)
    # re-delivery (issue #10, govlake.quality.retraction): a superseded batch stays retracted
    refuse_superseded(res.id, batch_id, entry)
    path = _raw_path(lake, res.id, batch_id, entry)
    batch_date = (entry or {}).get("batch_date") or path.parent.name.removeprefix("batch_date=")
    # the columns the rules read first; the rest (pseudonyms, audit columns: only the
    # quarantined rows need them) is read meanwhile, unless the batch is small
    meta = pq.read_metadata(path)
    schema = meta.schema.to_arrow_schema().remove_metadata()
    stored = schema.names
    wanted = [f.name for f in res.fields if f.name in stored] + ["_source_row"] * (
        "_source_row" in stored)  # fmt: skip
    rest = [c for c in stored if c not in wanted]
    expectations = suite_expectations(
        res.id, register, dt.date.fromisoformat(batch_date), directory=quality_dir
    )
    read = content_columns(expectations)
    encoded = [c for c in encoded_columns(res, read) if c in stored]
    if meta.num_rows < SMALL or not rest:
        whole = _read(path, dictionary=encoded)
        checked, reading = whole.select(wanted), _done(whole.select(rest))
    else:
        reading = _pool().submit(_read, path, rest)
        checked = _read(path, wanted, dictionary=encoded)
    n = checked.num_rows
    frame = checked_frame(checked, res, read=read)
    _reuse_ingest_checks(meta.metadata, frame, res, dt.date.fromisoformat(batch_date))
    validation = run_suite(frame, expectations, res.id, normalised=True)
    # ingest's row findings (issue #10, govlake.quality.findings): cut last row, JSON key twice
    add_ingest_findings(validation, meta.metadata, frame)

    positions = np.array(sorted({i for index in validation.failing.values() for i in index}),
                         dtype=np.int64)  # fmt: skip
    quarantined = len(positions)
    rate = quarantined / n if n else 0.0
    held = rate > res.max_failure_rate
    failures = {r["expectation"]: r["failed"] for r in validation.rows if r["failed"]}

    partition = f"batch_date={batch_date}"
    accepted_path = lake.accepted(res.id) / partition / f"part-{batch_id}.parquet"
    deletes_path = lake.accepted_deletes(res.id) / partition / f"part-{batch_id}.parquet"
    quarantine_path = lake.quarantine(res.id) / partition / f"part-{batch_id}.parquet"
    labels = {f.name: f.label for f in res.fields}
    per_row: dict[int, tuple[list[str], list[str]]] = {}
    with already_normalised():  # the reasons quote the checked frame's values
        for name, index in validation.failing.items():
            if not index:
                continue
            texts = _explain(validation.expectations[name], frame, index, labels)
            for i, text in zip(index, texts, strict=True):
                names, reasons = per_row.setdefault(i, ([], []))
                names.append(name)
                reasons.append(text)
    others = reading.result()
    q = pa.table({c: (checked if c in wanted else others).column(c) for c in stored})
    q = q.take(pa.array(positions))
    q = q.cast(schema)  # columns read as dictionaries are strings again
    if quarantined:
        q = q.append_column("_expectation", pa.array(
            [SEPARATOR.join(per_row[i][0]) for i in positions], pa.string()))  # fmt: skip
        q = q.append_column("_reason", pa.array(
            [SEPARATOR.join(per_row[i][1]) for i in positions], pa.string()))  # fmt: skip
        _write(q, quarantine_path)
    else:
        quarantine_path.unlink(missing_ok=True)
    if held:  # the part first: a deletion vector without its part deletes nothing
        accepted_path.unlink(missing_ok=True)
        deletes_path.unlink(missing_ok=True)
    else:  # the vector first: a part visible without it would show the quarantined rows
        _write(q.select(["_batch_id", "_source_row"]), deletes_path)
        link_or_copy(path, accepted_path)

    worst = ", ".join(f"{k}: {v}" for k, v in sorted(failures.items(), key=lambda kv: -kv[1]))
    summary = (
        f"{res.id} batch {batch_id} ({batch_date}): {quarantined:,} of {n:,} rows failed "
        f"({rate:.2%}, threshold {res.max_failure_rate:.2%})"
    )
    if held:
        message = f"HELD {summary}; nothing accepted; failing expectations: {worst}"
    else:
        message = f"accepted {summary}" + (f"; quarantined by: {worst}" if worst else "")
    run_id = uuid.uuid4().hex[:12]
    result = GateResult(
        resource=res.id, batch_id=batch_id, batch_date=batch_date, delivered=n,
        accepted=0 if held else n - quarantined, quarantined=quarantined, failure_rate=rate,
        max_failure_rate=res.max_failure_rate, held=held, message=message, failures=failures,
        run_id=run_id, duration_s=time.perf_counter() - started,
        accepted_path=None if held else str(accepted_path),
        quarantine_path=str(quarantine_path) if quarantined else None,
    )  # fmt: skip
    write_results(lake, result, validation)
    _set_status(
        lake, entry, result.status, accepted_rows=result.accepted,
        quarantined_rows=quarantined, failure_rate=round(rate, 6), quality_message=message,
        quality_run_id=run_id,
    )  # fmt: skip
    if entry is not None and not held:  # issue #10: an accepted new version of a landing path
        supersede_older(lake, res.id, {**entry, "status": "accepted"})  # replaces the earlier
    (log.warning if held else log.info)("%s", message)
    return result
