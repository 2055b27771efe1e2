"""Invalid citizen IDs and credit codes in a column, vectorised with numpy.

Ingest counts them (the manifest's ``invalid_identifiers``) and records which rows they are in
the raw part's footer (:func:`invalid_rows_record`); the quality gate quarantines those rows,
reading the record instead of running the same rule again when it was made by these very rules
for the same day (:func:`recorded_invalid_rows`), and computing the mask itself otherwise.
Clean ASCII 18-character values are checked as a byte matrix with the same rules as
``govlake.identifiers``; every other value goes through the Python functions, so the count
equals calling ``citizen_id_problem`` / ``credit_code_problem`` on each value (tested).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import uuid
import zlib
from collections.abc import Callable
from functools import cache, lru_cache
from pathlib import Path

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


# --- ingest's record of the invalid rows, in the raw part's footer -----------------------------

RECORD_KEY = b"govlake:invalid_identifiers"


@cache
def rules_fingerprint() -> str:
    """What a mask depends on besides the values and the day: the code of the rules (this
    module, ``identifiers``, the normalising in ``pseudonym``) and the GB/T 2260 code list. A
    record made by other rules is not reused, so a fix to a rule reaches every re-validation."""
    from govlake import identifiers
    from govlake.ingest import pseudonym

    digest = hashlib.sha256()
    try:
        for module in (__file__, identifiers.__file__, pseudonym.__file__):
            digest.update(Path(module).read_bytes())
    except OSError:  # no source files (a zipped install): only this process's records match
        return uuid.uuid4().hex[:16]
    digest.update("\n".join(sorted(division_codes())).encode())
    return digest.hexdigest()[:16]


def invalid_rows_record(masks: dict[str, np.ndarray], *, as_of: dt.date) -> dict[bytes, bytes]:
    """Footer metadata naming the invalid rows of each checked field: a bitmap per field
    (zlib-compressed, base64), at most ~12 bytes per 100 rows even if every value is bad."""
    rows = {
        name: base64.b64encode(zlib.compress(np.packbits(mask).tobytes())).decode("ascii")
        for name, mask in masks.items()
    }
    n = len(next(iter(masks.values()))) if masks else 0
    record = {"as_of": as_of.isoformat(), "rules": rules_fingerprint(), "rows": n, "invalid": rows}
    return {RECORD_KEY: json.dumps(record).encode()}


def recorded_invalid_rows(
    metadata: dict[bytes, bytes] | None, *, as_of: dt.date, rows: int
) -> dict[str, np.ndarray]:
    """The masks of :func:`invalid_rows_record` if they were made by these rules, for ``as_of``
    and ``rows`` rows; else nothing (the caller computes the masks itself)."""
    raw = (metadata or {}).get(RECORD_KEY)
    if raw is None:
        return {}
    record = json.loads(raw)
    made_for = (record.get("as_of"), record.get("rules"), record.get("rows"))
    if made_for != (as_of.isoformat(), rules_fingerprint(), rows):
        return {}
    return {
        name: np.unpackbits(
            np.frombuffer(zlib.decompress(base64.b64decode(bits)), dtype=np.uint8), count=rows
        ).astype(bool)
        for name, bits in record["invalid"].items()
    }
