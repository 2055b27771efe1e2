"""The rules themselves, vectorised and free of Great Expectations.

Each ``*_ok`` function takes the non-null values of a column (pandas Series or Arrow array, as
delivered or already normalised) and returns a numpy boolean array, True where the value passes;
each ``*_reason`` explains one failing value in words a department understands. The GX metric
providers (``govlake.quality.expectations``) call the ``*_ok`` functions, the gate calls the
``*_reason`` functions for the few rows GX reports, so both always apply the same rule.

Identifier rules come from ``govlake.identifiers`` (the reasons) and the ingest package's
vectorised twin of them (the masks; tested equal to the Python functions there).
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from govlake.formats import DATE_FORMATS, MONTH_FORMATS
from govlake.identifiers import (
    citizen_id_problem,
    credit_code_problem,
    division_codes,
    normalise,
)

# --- normalisation (what cosmetic delivery noise is undone before any rule) ---------------

_NORMALISED: ContextVar[bool] = ContextVar("govlake_quality_normalised", default=False)


@contextmanager
def already_normalised() -> Iterator[None]:
    """Inside, the rules trust their input to be normalised already (the gate's checked
    frame is), instead of normalising every value again in every rule."""
    token = _NORMALISED.set(True)
    try:
        yield
    finally:
        _NORMALISED.reset(token)


def arrow(values: Any) -> pa.Array:
    """Arrow string array of a pandas Series / list / Arrow array (zero-copy when possible)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    elif not isinstance(values, pa.Array):
        if hasattr(values, "array") and hasattr(values.array, "__arrow_array__"):
            values = pa.array(values.array)
        elif isinstance(getattr(values, "dtype", None), pd.CategoricalDtype):
            values = pa.array(values)  # a DictionaryArray, decoded below
        elif hasattr(values, "dtype"):  # NumPy-backed pandas: NaN and None are missing
            values = pa.array(values, pa.string(), from_pandas=True)
        else:
            values = pa.array(list(values), pa.string())
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
    if isinstance(values, pa.DictionaryArray):
        values = values.dictionary_decode()
    if not pa.types.is_string(values.type):
        values = values.cast(pa.string())
    return values


def _encoded(values: Any) -> pa.DictionaryArray:
    """``values`` dictionary-encoded (a ``Categorical`` or DictionaryArray as it is)."""
    if isinstance(getattr(values, "dtype", None), pd.CategoricalDtype):
        values = pa.array(values)
    if isinstance(values, pa.DictionaryArray):
        return values
    return pc.dictionary_encode(arrow(values))


def normalise_text(values: pa.Array) -> pa.Array:
    """Free text: NFKC (full-width → ASCII, U+3000 → space), whitespace runs → one space,
    trimmed, '' → null. The same cleaning dbt staging applies (``govlake_text``)."""
    if _NORMALISED.get():
        return values
    out = pc.utf8_normalize(values, "NFKC")
    out = pc.utf8_trim_whitespace(pc.replace_substring_regex(out, r"\s+", " "))
    return pc.if_else(pc.equal(out, ""), pa.scalar(None, pa.string()), out)


def blank_to_null(values: pa.Array) -> pa.Array:
    """Values as delivered, but null where normalising would leave nothing ('' or only
    whitespace, U+3000 included): all a not-null rule needs to know."""
    blank = pc.or_(pc.equal(values, ""), pc.utf8_is_space(values))
    return pc.if_else(blank, pa.scalar(None, pa.string()), values)


def present_marker(values: pa.Array) -> pa.DictionaryArray:
    """One category, ``PRESENT``, where a value is not blank (:func:`blank_to_null`), null
    where it is: a column only the not-null rule looks at, at the cost of an int8 per row."""
    blank = np.asarray(blank_to_null(values).is_null())
    indices = pa.array(np.zeros(len(values), dtype=np.int8), mask=blank)
    return pa.DictionaryArray.from_arrays(indices, pa.array([PRESENT], pa.string()))


PRESENT = "(present)"


def normalise_code(values: pa.Array) -> pa.Array:
    """Codes and identifiers: ``identifiers.normalise`` (NFKC, no whitespace, upper), '' → null."""
    from govlake.ingest import normalise_array

    if _NORMALISED.get():
        return values
    out = normalise_array(values)
    return pc.if_else(pc.equal(out, ""), pa.scalar(None, pa.string()), out)


# --- identifiers ------------------------------------------------------------------------------


def _invalid_mask(normalised: pa.Array, kind: str, today: dt.date) -> np.ndarray:
    """True where a normalised, non-null identifier fails (citizen_id / credit_code): the
    ingest package's vectorised twin of the ``govlake.identifiers`` rules (tested equal)."""
    from govlake.ingest import invalid_mask

    return invalid_mask(normalised, kind, today=today)


def citizen_id_ok(values: Any, *, as_of: dt.date | None = None) -> np.ndarray:
    """GB 11643 with a GB/T 2260 division code of any year (so 110118/110119 pass); a missing
    value passes (the not-null rule judges it)."""
    return _valid_ids(values, as_of)[1].copy()


def citizen_id_reason(value: str, label: str, *, as_of: dt.date | None = None) -> str:
    problem = citizen_id_problem(normalise(value), today=as_of) or "invalid"
    return f"{label} {problem}"


def credit_code_ok(values: Any) -> np.ndarray:
    """GB 32100: alphabet, 6-digit division part, mod-31 check (letter-first codes pass)."""
    return ~_invalid_mask(normalise_code(arrow(values)), "credit_code", dt.date.today())


def credit_code_reason(value: str, label: str) -> str:
    return f"{label} {credit_code_problem(normalise(value)) or 'invalid'}"


def in_codes_ok(values: Any, codes: Sequence[str]) -> np.ndarray:
    """Normalised code is one of ``codes`` (a sub-district list, the GB/T 2260 list); a value
    that normalises to nothing is missing and passes (the not-null rule judges it)."""
    normalised = normalise_code(arrow(values))
    return np.asarray(pc.or_(pc.is_in(normalised, pa.array(list(codes))), normalised.is_null()))


def street_code_reason(value: str, label: str) -> str:
    return f"{label} {normalise(value)} is not a sub-district (街道) code of the district"


def division_code_ok(values: Any) -> np.ndarray:
    return in_codes_ok(values, sorted(division_codes()))


def division_code_reason(value: str, label: str) -> str:
    return f"{label} {normalise(value)} is not a GB/T 2260 division code"


# --- dates, months, numbers -------------------------------------------------------------------


def parse_dates(values: Any, formats: Sequence[str] = DATE_FORMATS) -> pa.Array:
    """date32 of each value parsed by the first matching pattern; null if none matches.

    DuckDB's ``try_strptime(x, [patterns])``: the very call dbt staging uses, so a value the
    gate accepts is a value staging can read.
    """
    encoded = _encoded(values)
    if len(encoded.dictionary) < len(encoded):  # parse each distinct text once
        return parse_dates(encoded.dictionary, formats).take(encoded.indices)
    text = normalise_text(arrow(values))
    patterns = "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in formats) + "]"
    con = _duckdb().cursor()  # a cursor per call: the rules may run in several threads
    try:
        con.register("_values", pa.table({"v": text}))
        sql = f"select cast(try_strptime(v, {patterns}) as date) as d from _values"
        return con.sql(sql).to_arrow_table().column(0).combine_chunks()
    finally:
        con.close()


@functools.cache
def _duckdb() -> Any:
    """One in-memory DuckDB per process for parsing dates, not a new one per rule."""
    import duckdb

    return duckdb.connect(config={"threads": 1})


# a forked child (an Airflow task) must not share its parent's DuckDB: it opens its own
os.register_at_fork(after_in_child=_duckdb.cache_clear)


def _as_date(value: dt.date | str | None) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value)


def date_ok(
    values: Any,
    *,
    formats: Sequence[str] = DATE_FORMATS,
    min_date: dt.date | str | None = None,
    max_date: dt.date | str | None = None,
) -> np.ndarray:
    """Parsed by one of ``formats`` (``govlake.formats``) and within [min_date, max_date]."""
    parsed = parse_dates(values, formats)
    ok = pc.is_valid(parsed)
    lo, hi = _as_date(min_date), _as_date(max_date)
    if lo is not None:
        ok = pc.and_(ok, pc.fill_null(pc.greater_equal(parsed, pa.scalar(lo, pa.date32())), False))
    if hi is not None:
        ok = pc.and_(ok, pc.fill_null(pc.less_equal(parsed, pa.scalar(hi, pa.date32())), False))
    return np.asarray(ok)


def date_reason(
    value: str,
    label: str,
    *,
    formats: Sequence[str] = DATE_FORMATS,
    min_date: dt.date | str | None = None,
    max_date: dt.date | str | None = None,
) -> str:
    parsed = parse_dates([value], formats)[0].as_py()
    if parsed is None:
        return f"{label} {value!r} is not a date in any accepted format"
    lo, hi = _as_date(min_date), _as_date(max_date)
    return f"{label} {parsed} outside the plausible range {lo or '…'} to {hi or '…'}"


_INTEGER = r"^[+-]?[0-9]+$"
_DECIMAL = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$"
_BOOLEAN = ("是", "否", "Y", "N", "YES", "NO", "TRUE", "FALSE", "1", "0")


def _numeric_text(values: Any) -> pa.Array:
    """As staging reads numbers: code-normalised, thousands separators removed."""
    return pc.replace_substring(normalise_code(arrow(values)), ",", "")


def parseable_ok(values: Any, kind: str) -> np.ndarray:
    """Value can be read as ``kind`` (integer, decimal, date, month, boolean) by staging."""
    if kind in ("integer", "decimal"):
        pattern = _INTEGER if kind == "integer" else _DECIMAL
        return np.asarray(
            pc.fill_null(pc.match_substring_regex(_numeric_text(values), pattern), False)
        )
    if kind == "date":
        return np.asarray(pc.is_valid(parse_dates(values, DATE_FORMATS)))
    if kind == "month":
        return np.asarray(pc.is_valid(parse_dates(normalise_code(arrow(values)), MONTH_FORMATS)))
    if kind == "boolean":
        normalised = normalise_code(arrow(values))
        return np.asarray(pc.fill_null(pc.is_in(normalised, pa.array(list(_BOOLEAN))), False))
    if kind == "string":
        return np.ones(len(values), dtype=bool)
    raise ValueError(f"unknown type {kind!r}")


def parseable_reason(value: str, label: str, kind: str) -> str:
    words = {"integer": "an integer", "decimal": "a number", "date": "a date",
             "month": "a month (YYYY-MM)", "boolean": "yes/no"}  # fmt: skip
    return f"{label} {value!r} is not {words.get(kind, kind)}"


def _numbers(values: Any) -> np.ndarray:
    """float64 of each value; NaN where it is not a number (the parse rule reports those)."""
    text = _numeric_text(values)
    good = pc.fill_null(pc.match_substring_regex(text, _DECIMAL), False)
    out = pc.cast(pc.if_else(good, text, pa.scalar(None, pa.string())), pa.float64())
    return np.asarray(pc.fill_null(out, np.nan), dtype=np.float64)


def between_ok(values: Any, min_value: float | None, max_value: float | None) -> np.ndarray:
    """Number within [min_value, max_value]; values that are not numbers pass here."""
    numbers = _numbers(values)
    ok = np.ones(len(numbers), dtype=bool)
    with np.errstate(invalid="ignore"):
        if min_value is not None:
            ok &= ~(numbers < min_value)
        if max_value is not None:
            ok &= ~(numbers > max_value)
    return ok


def between_reason(value: str, label: str, min_value: float | None, max_value: float | None) -> str:
    number = float(_numbers([value])[0])
    shown = f"{number:g}"
    if min_value is not None and number < min_value:
        return f"{label} {shown} below the minimum {min_value:g}"
    return f"{label} {shown} above the maximum {max_value:g}"


# --- allowed values ---------------------------------------------------------------------------


def in_set_ok(values: Any, allowed: Sequence[str]) -> np.ndarray:
    """Text-normalised value is one of ``allowed`` (a closed list or a vocabulary); a value
    that normalises to nothing is missing and passes (the not-null rule judges it)."""
    normalised = normalise_text(arrow(values))
    return np.asarray(pc.or_(pc.is_in(normalised, pa.array(list(allowed))), normalised.is_null()))


def in_set_reason(value: str, label: str, source: str) -> str:
    return f"{label} {normalise_text(arrow([value]))[0].as_py()!r} is not in {source}"


# --- cross-field ------------------------------------------------------------------------------


_VALID_IDS: dict[tuple, tuple[Any, np.ndarray]] = {}


def _valid_ids(ids: Any, as_of: dt.date | None) -> tuple[pa.Array, np.ndarray]:
    """Normalised IDs and their validity (missing: valid, judged by not-null).

    The validity of the last column seen is reused: the ID rule and both cross-field rules of
    a batch look at the same column. The cache entry holds the object its key is the address
    of (the Arrow data buffer, or a ``Categorical``'s categories), so the address cannot be
    reused while it is a key. A ``Categorical`` is judged once per category.
    """
    if isinstance(getattr(ids, "dtype", None), pd.CategoricalDtype):
        categories = ids.cat.categories
        key: tuple = ("categories", id(categories), as_of)
        if key not in _VALID_IDS:
            _VALID_IDS.clear()
            normalised = normalise_code(arrow(categories))
            valid = ~_invalid_mask(normalised, "citizen_id", as_of or dt.date.today())
            _VALID_IDS[key] = (categories, np.append(valid, True))  # code -1: missing
        codes = ids.cat.codes.to_numpy()
        return normalise_code(arrow(ids)), _VALID_IDS[key][1][codes]
    normalised = normalise_code(arrow(ids))
    key = _ids_key(normalised, as_of)
    if key not in _VALID_IDS:
        _VALID_IDS.clear()
        valid = ~_invalid_mask(normalised, "citizen_id", as_of or dt.date.today())
        _VALID_IDS[key] = (normalised.buffers()[2], valid)
    return normalised, _VALID_IDS[key][1]


def _ids_key(normalised: pa.Array, as_of: dt.date | None) -> tuple:
    data = normalised.buffers()[2]
    return (data.address if data else 0, data.size if data else 0, normalised.offset,
            len(normalised), as_of)  # fmt: skip


def remember_invalid_ids(ids: Any, as_of: dt.date, invalid: np.ndarray) -> None:
    """Let the ID rules of this column (normalised, as in the gate's checked frame) use
    ``invalid``, ingest's record of the very same rule as of ``as_of``, instead of running it.
    Missing values are valid here, exactly as :func:`_valid_ids` computes them."""
    if isinstance(getattr(ids, "dtype", None), pd.CategoricalDtype):
        return  # judged per category anyway
    with already_normalised():
        normalised = normalise_code(arrow(ids))
    _VALID_IDS.clear()
    valid = ~invalid | ~np.asarray(normalised.is_valid())
    _VALID_IDS[_ids_key(normalised, as_of)] = (normalised.buffers()[2], valid)


def _id_number(normalised: pa.Array, rows: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Characters [start, stop) of the IDs at ``rows`` as a number, read straight from the
    Arrow buffers (``rows`` must be valid IDs: 18 ASCII characters each)."""
    if not len(rows):
        return np.zeros(0, dtype=np.int64)
    arr = pa.concat_arrays([normalised]) if normalised.offset else normalised
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32)
    data = np.frombuffer(arr.buffers()[2], dtype=np.uint8)
    digits = data[offsets[rows][:, None] + np.arange(start, stop)].astype(np.int64) - 48
    return digits @ (10 ** np.arange(stop - start - 1, -1, -1, dtype=np.int64))


def _checked_id_rows(ids: Any, as_of: dt.date | None) -> tuple[pa.Array, np.ndarray]:
    """Normalised IDs and the positions of those that are present and valid."""
    normalised, valid = _valid_ids(ids, as_of)
    return normalised, np.flatnonzero(valid & np.asarray(normalised.is_valid()))


def _vocabulary_codes(values: Any, codes: dict[str, int]) -> np.ndarray:
    """``codes[text-normalised value]`` per row, -1 for other or missing values; looked up
    once per distinct value."""
    encoded = _encoded(values)
    known = [codes.get(v, -1) for v in normalise_text(arrow(encoded.dictionary)).to_pylist()]
    lookup = np.array([*known, -1], dtype=np.int64)  # the last slot: a missing value
    return lookup[np.asarray(encoded.indices.fill_null(-1), dtype=np.int64)]


def sex_matches_id_ok(ids: Any, sexes: Any, *, as_of: dt.date | None = None) -> np.ndarray:
    """性别 agrees with the 17th digit (odd 男, even 女). Rows with an invalid ID or an unknown
    sex pass here: their own expectations report them, once."""
    normalised, rows = _checked_id_rows(ids, as_of)
    sex = _vocabulary_codes(sexes, {"男": 1, "女": 0})[rows]
    ok = np.ones(len(normalised), dtype=bool)
    ok[rows] = (sex < 0) | (sex == _id_number(normalised, rows, 16, 17) % 2)
    return ok


def sex_matches_id_reason(citizen_id: str, sex: str, id_label: str, sex_label: str) -> str:
    from govlake.identifiers import citizen_id_sex

    expected = citizen_id_sex(normalise(citizen_id))
    got = normalise_text(arrow([sex]))[0].as_py()
    return f"{sex_label} {got} disagrees with {id_label} (17th digit means {expected})"


def birth_matches_id_ok(ids: Any, dates: Any, *, as_of: dt.date | None = None) -> np.ndarray:
    """出生日期 equals digits 7-14 of the ID; invalid IDs and unparseable dates pass here."""
    normalised, rows = _checked_id_rows(ids, as_of)
    parsed = parse_dates(dates)
    ymd = pc.add(pc.add(pc.multiply(pc.year(parsed), 10_000), pc.multiply(pc.month(parsed), 100)),
                 pc.day(parsed))  # fmt: skip
    born = np.asarray(ymd.fill_null(-1), dtype=np.int64)[rows]
    ok = np.ones(len(normalised), dtype=bool)
    ok[rows] = (born < 0) | (born == _id_number(normalised, rows, 6, 14))
    return ok


def birth_matches_id_reason(citizen_id: str, date: str, id_label: str, date_label: str) -> str:
    from govlake.identifiers import citizen_id_birth_date

    expected = citizen_id_birth_date(normalise(citizen_id))
    parsed = parse_dates([date])[0].as_py()
    return f"{date_label} {parsed} disagrees with {id_label} (born {expected})"


# --- keys -------------------------------------------------------------------------------------


def key_codes(values: Any) -> np.ndarray:
    """An integer per row, equal where the code-normalised key values are equal (a full-width
    copy is a copy); -1 for a missing value. A ``Categorical`` is normalised per category."""
    if isinstance(getattr(values, "dtype", None), pd.CategoricalDtype):
        categories = normalise_code(arrow(values.cat.categories))
        merged = pc.dictionary_encode(categories)  # normalising may merge categories
        remap = np.append(np.asarray(merged.indices.fill_null(-1)), -1)
        return remap[values.cat.codes.to_numpy()]
    normalised = normalise_code(arrow(values))
    data = normalised.buffers()[2]
    key = (data.address if data else 0, data.size if data else 0, normalised.offset,
           len(normalised))  # fmt: skip
    if key not in _KEY_CODES:  # the rule and its reasons ask for the same column: once
        _KEY_CODES.clear()
        codes = _hashed_codes(normalised) if len(normalised) >= _HASHED_FROM else None
        if codes is None:  # a small column, or two different keys share a hash
            codes = np.asarray(pc.dictionary_encode(normalised).indices.fill_null(-1), np.int64)
        codes.flags.writeable = False
        _KEY_CODES[key] = (data, codes)  # holding the buffer keeps its address from reuse
    return _KEY_CODES[key][1]


_KEY_CODES: dict[tuple, tuple[Any, np.ndarray]] = {}
_HASHED_FROM = 50_000  # values: below this, Arrow's exact encoding is faster than hashing


def _key_hashes(values: pa.Array) -> np.ndarray:
    """DuckDB's 64-bit hash of each (non-null) value, in order."""
    con = _duckdb().cursor()  # a cursor per call: the rules may run in several threads
    try:
        con.register("_keys", pa.table({"v": values}))
        return con.sql("select hash(v) as h from _keys").fetchnumpy()["h"]
    finally:
        con.close()


def _hashed_codes(normalised: pa.Array) -> np.ndarray | None:
    """Key codes from DuckDB's 64-bit hash of each value, checked exact; None if two
    different values share a hash, or a hash is -1 (the code of a missing value).

    Faster than Arrow's ``dictionary_encode`` on many distinct values (quality/README.md).
    Only rows whose hash occurs more than once (the duplicates, ~1%) can hide a collision:
    they are encoded exactly, and each of their hashes must stand for one value.
    """
    valid = np.asarray(normalised.is_valid())
    present = normalised if valid.all() else normalised.filter(pa.array(valid))
    codes = np.full(len(normalised), -1, dtype=np.int64)
    if not len(present):
        return codes
    hashes = _key_hashes(present).view(np.int64)
    repeated = pd.Series(hashes).duplicated(keep=False).to_numpy()
    if repeated.any():
        exact = pc.dictionary_encode(present.filter(pa.array(repeated))).indices
        pairs = pd.DataFrame({"hash": hashes[repeated], "value": np.asarray(exact)})
        if pairs.drop_duplicates()["hash"].duplicated().any():
            return None
    if (hashes == -1).any():
        return None
    codes[valid] = hashes
    return codes


def row_keys(frame: Any, columns: Sequence[str]) -> np.ndarray:
    """One integer per row, equal where every key column is equal (:func:`key_codes`)."""
    if len(columns) == 1:
        return np.asarray(key_codes(frame[columns[0]]))
    codes = pd.DataFrame({c: key_codes(frame[c]) for c in columns})
    return codes.groupby(list(columns), sort=False).ngroup().to_numpy()


@dataclass(frozen=True)
class KnownDuplicates:
    """The gate's verdict on a key across a whole file read in batches (``quality.gate``),
    for the rows of the batch being validated: which are later copies of a key, and the
    ``_source_row`` of each one's first copy (-1 elsewhere)."""

    columns: frozenset[str]
    later: np.ndarray  # bool per row of the batch
    first_rows: np.ndarray  # int64 per row of the batch


_KNOWN_DUPLICATES: ContextVar[KnownDuplicates | None] = ContextVar(
    "govlake_known_duplicates", default=None
)


@contextmanager
def known_duplicates(known: KnownDuplicates | None) -> Iterator[None]:
    """Inside, the key rules on ``known.columns`` use ``known`` (copies in earlier batches
    count) instead of looking for copies in the batch alone."""
    token = _KNOWN_DUPLICATES.set(known)
    try:
        yield
    finally:
        _KNOWN_DUPLICATES.reset(token)


def _known(columns: frozenset[str]) -> KnownDuplicates | None:
    known = _KNOWN_DUPLICATES.get()
    return known if known is not None and known.columns == columns else None


def first_occurrence_ok(frame: Any, columns: Sequence[str]) -> np.ndarray:
    """True for the first row of each key; later copies fail (the first copy is kept)."""
    first = frame[columns[0]]
    known = _known(frozenset(getattr(frame[c], "name", c) for c in columns))
    if known is not None and hasattr(first, "index"):  # rows are labelled by batch position
        return ~known.later[first.index.to_numpy()]
    return ~pd.Series(row_keys(frame, columns)).duplicated(keep="first").to_numpy()


def first_copy_rows(frame: Any, columns: Sequence[str], positions: np.ndarray) -> np.ndarray | None:
    """The ``_source_row`` of the first copy of each row at ``positions``, when the gate knows
    it from the whole file (None: look in ``frame``, :func:`first_copies`)."""
    known = _known(frozenset(columns))
    return None if known is None else known.first_rows[positions]


def first_copies(frame: Any, columns: Sequence[str], positions: np.ndarray) -> np.ndarray:
    """For each row position, the position of the first row with the same key: only the rows
    sharing a key with one of ``positions`` are looked at (vectorised; no per-row lookups)."""
    keys = row_keys(frame, columns)
    wanted = keys[positions]
    among = np.flatnonzero(pd.Series(keys).isin(wanted).to_numpy())  # ascending
    codes, first = np.unique(keys[among], return_index=True)
    return among[first][np.searchsorted(codes, wanted)]


PATTERNS: dict[str, str] = {  # non-capturing groups: pandas warns about capturing ones
    "industry_code": r"^[A-T](?:[0-9]{2}(?:[0-9]{1,2})?)?$",
    "period": r"^[0-9]{4}(?:年|-?Q[1-4]|[-/]?(?:0[1-9]|1[0-2])|年(?:0?[1-9]|1[0-2])月)?$",
    "phone": r"^(?:1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8}|[0-9]{8})$",
}
