"""The checked frame: what GX validates for one raw batch.

Every register field with its cosmetic delivery noise undone (codes: NFKC, no whitespace,
upper case; text: NFKC, trimmed; blank → null), so a full-width or padded value is judged on
its content, plus ``_source_row``. The raw columns themselves are never changed: the gate
quarantines and accepts raw rows.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from govlake.quality.suites import NOT_NULL
from govlake.register import FieldFormat, FieldType, Resource

CODE_FORMATS = frozenset(FieldFormat)  # every domain format is a code: no inner spaces
CODE_TYPES = frozenset({FieldType.integer, FieldType.decimal, FieldType.month, FieldType.boolean})
SMALL = 50_000  # rows: below this, handing work to threads costs more than it saves


def threaded(rows: int) -> bool:
    """Whether a batch of ``rows`` rows is read and normalised in threads (``SMALL``)."""
    return rows >= SMALL


@functools.cache
def thread_pool() -> ThreadPoolExecutor:
    """Threads for Arrow and Parquet work, which runs outside the GIL (one pool per process)."""
    return ThreadPoolExecutor(max_workers=4, thread_name_prefix="govlake-gate")


# a forked child (an Airflow task) does not inherit the parent's threads: it makes its own pool
os.register_at_fork(after_in_child=thread_pool.cache_clear)


def checked_frame(raw: pa.Table, resource: Resource, *, read: set[str] | None = None) -> Any:
    """The register fields with delivery noise undone (codes: no whitespace, upper case; text:
    trimmed; blank → null) plus ``_source_row``, as a pandas frame.

    A column with few distinct values (sex, street, dates, …) is dictionary-encoded: it is
    normalised once per distinct value and reaches GX as a pandas ``Categorical``, so the
    rules run once per distinct value too (``expectations._apply``), and GX's own row copies
    get cheaper (``bench/quality.py`` compares it with Arrow strings only). Keys and
    identifiers, unique by nature, stay Arrow-backed strings. The gate reads the other columns
    (:func:`encoded_columns`) from Parquet as dictionaries, as ingest stored them, so their
    values are not hashed again.

    ``read``: the columns whose values some rule reads (:func:`content_columns`). The others
    only need to say what is blank: they become a one-category marker (``present_marker``),
    neither normalised (for addresses that cost more than every rule on them; see
    quality/README.md) nor copied as text each time GX copies the frame.
    """
    from govlake.quality.checks import arrow, present_marker

    def one(f: Any) -> pa.Array:
        column = raw.column(f.name) if f.name in raw.column_names else None
        if column is None:  # an optional field the department did not deliver
            column = pa.nulls(raw.num_rows, pa.string())
        if read is not None and f.name not in read:
            return present_marker(arrow(column))
        normalise = normaliser(f)
        if _unique(f):
            return normalise(arrow(column))
        if isinstance(column.type, pa.DictionaryType):  # read as Parquet stored it: no hashing
            return _normalised(column.unify_dictionaries().combine_chunks(), normalise)
        return _normalised(arrow(column), normalise)

    # Arrow's kernels release the GIL: the columns of a large batch are normalised side by side
    mapper = thread_pool().map if threaded(raw.num_rows) else map
    columns = dict(zip((f.name for f in resource.fields), mapper(one, resource.fields),
                       strict=True))  # fmt: skip
    if "_source_row" in raw.column_names:
        columns["_source_row"] = raw.column("_source_row").combine_chunks()
    else:
        columns["_source_row"] = pa.array(np.arange(1, raw.num_rows + 1, dtype=np.int64))
    return pa.table(columns).to_pandas()


def normaliser(f: Any) -> Any:
    """How a field's values are compared: as codes (no whitespace, upper case) or as text."""
    from govlake.quality.checks import normalise_code, normalise_text

    code = f.format in CODE_FORMATS or f.type in CODE_TYPES
    return normalise_code if code else normalise_text


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


def reuse_ingest_id_checks(footer: Any, frame: Any, resource: Resource, as_of: dt.date) -> None:
    """Ingest already ran the citizen-ID rule on every ID of the batch (it counts them for the
    manifest) and recorded the failing rows in the raw part's footer. Made by the same rule
    code for the same day, that record stands in for running the rule again on ``frame``'s
    ID columns; otherwise (older parts, changed rules) the expectations compute it."""
    from govlake.ingest import recorded_invalid_rows
    from govlake.quality.checks import remember_invalid_ids

    recorded = recorded_invalid_rows(footer, as_of=as_of, rows=len(frame))
    for f in resource.fields:
        if f.format == FieldFormat.citizen_id and f.name in recorded:
            remember_invalid_ids(frame[f.name], as_of, recorded[f.name])
