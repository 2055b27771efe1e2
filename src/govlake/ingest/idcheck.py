"""Invalid citizen IDs and credit codes in a column, vectorised with numpy.

Ingest only counts them (the manifest's ``invalid_identifiers``); the quality gate uses the
same mask to quarantine rows.
Clean ASCII 18-character values are checked as a byte matrix with the same rules as
``govlake.identifiers``; every other value goes through the Python functions, so the count
equals calling ``citizen_id_problem`` / ``credit_code_problem`` on each value (tested).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from govlake.identifiers import (
    USCC_ALPHABET,
    citizen_id_problem,
    credit_code_problem,
    division_codes,
)

_RIC_WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)], dtype=np.int64)
_USCC_WEIGHTS = np.array(
    [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28], dtype=np.int64
)
_USCC_VALUE = np.full(256, -1, dtype=np.int64)
for _i, _c in enumerate(USCC_ALPHABET):
    _USCC_VALUE[ord(_c)] = _i
_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


@lru_cache(maxsize=1)
def _division_array() -> np.ndarray:
    return np.array(sorted(int(c) for c in division_codes() if c.isdigit()), dtype=np.int64)


def _matrix(values: pa.Array) -> np.ndarray:
    """n x 18 uint8 matrix of values that are all exactly 18 bytes, no nulls."""
    values = pa.concat_arrays([values]) if values.offset else values
    _, offsets, data = values.buffers()
    off = np.frombuffer(offsets, dtype=np.int32)[: len(values) + 1]
    return np.frombuffer(data, dtype=np.uint8)[off[0] : off[-1]].reshape(-1, 18)


def _number(d: np.ndarray) -> np.ndarray:
    """Decimal value of digit columns (garbage for non-digits; those rows fail anyway).

    The products are summed as float64 (a BLAS matrix product, several times faster than
    numpy's integer one); every value involved is far below 2**53, so the result is exact.
    """
    powers = 10.0 ** np.arange(d.shape[1] - 1, -1, -1)
    return (d @ powers).astype(np.int64)


@lru_cache(maxsize=1)
def _division_table() -> np.ndarray:
    table = np.zeros(1_000_000, dtype=bool)
    table[_division_array()] = True
    return table


def _weights(*parts: tuple[int, np.ndarray]) -> np.ndarray:
    """A 17 x k float32 matrix: column j weighs the digits from ``parts[j][0]`` on."""
    w = np.zeros((17, len(parts)), dtype=np.float32)
    for j, (start, weights) in enumerate(parts):
        w[start : start + len(weights), j] = weights
    return w


def _powers(n: int) -> np.ndarray:
    return 10.0 ** np.arange(n - 1, -1, -1)


# division code, year, month, day, weighted check sum: one BLAS product for all five
_RIC_NUMBERS = _weights((0, _powers(6)), (6, _powers(4)), (10, _powers(2)), (12, _powers(2)),
                        (0, _RIC_WEIGHTS))  # fmt: skip


def _citizen_ids_bad(m: np.ndarray, today: dt.date) -> np.ndarray:
    d = m - np.uint8(48)  # digit values; anything below '0' wraps round to > 9
    digits = d <= 9
    x = m[:, 17] == ord("X")
    bad = ~digits[:, :17].all(axis=1) | ~(digits[:, 17] | x)
    # float32 is exact here: every sum of digit rows stays below 2**24 (rows with other
    # characters are already bad, whatever their numbers come to)
    numbers = (d[:, :17].astype(np.float32) @ _RIC_NUMBERS).astype(np.int64)
    division, year, month, day, weighted = numbers.T
    bad |= ~_division_table()[np.clip(division, 0, 999_999)]
    month_ok = (month >= 1) & (month <= 12)
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    dim = _DAYS[np.where(month_ok, month, 0)] + ((month == 2) & leap)
    ymd = year * 10000 + month * 100 + day
    bad |= ~month_ok | (day < 1) | (day > dim)
    bad |= (ymd < 18800101) | (ymd > int(today.strftime("%Y%m%d")))
    expected = (12 - weighted % 11) % 11
    return bad | (expected != np.where(x, 10, d[:, 17]))


def _credit_codes_bad(m: np.ndarray, today: dt.date) -> np.ndarray:
    v = _USCC_VALUE[m]
    bad = (v < 0).any(axis=1)
    bad |= ~((m[:, 2:8] >= 48) & (m[:, 2:8] <= 57)).all(axis=1)
    expected = (-(np.maximum(v[:, :17], 0) @ _USCC_WEIGHTS)) % 31
    return bad | (expected != v[:, 17])


_CHECKS: dict[str, tuple[Callable[..., str | None], Callable[..., np.ndarray]]] = {
    "citizen_id": (citizen_id_problem, _citizen_ids_bad),
    "credit_code": (lambda v, today: credit_code_problem(v), _credit_codes_bad),
}


def invalid_mask(normalised: pa.Array, kind: str, *, today: dt.date | None = None) -> np.ndarray:
    """True where a non-null normalised value of ``kind`` (citizen_id / credit_code) fails
    its check; missing values are False (not judged here)."""
    today = today or dt.date.today()
    slow, fast = _CHECKS[kind]
    bad = np.zeros(len(normalised), dtype=bool)
    if not len(normalised):
        return bad
    clean = pc.fill_null(
        pc.and_(pc.string_is_ascii(normalised), pc.equal(pc.binary_length(normalised), 18)), False
    )
    clean_np = np.asarray(clean)
    quick = normalised.filter(clean)
    if len(quick):
        bad[clean_np] = fast(_matrix(quick), today)
    present = np.asarray(normalised.is_valid())
    for i in np.flatnonzero(~clean_np & present):
        bad[i] = slow(normalised[int(i)].as_py() or "", today=today) is not None
    return bad


def count_invalid(normalised: pa.Array, kind: str, *, today: dt.date | None = None) -> int:
    """How many non-null values of ``kind`` (citizen_id / credit_code) fail their check."""
    return int(invalid_mask(normalised, kind, today=today).sum())
