"""Keyed pseudonyms (HMAC-SHA256) of personal identifiers, computed column-wise.

The pseudonym is ``hmac(key, identifiers.normalise(value))`` as lower-case hex, so a full-width
or spaced ID gets the same pseudonym as the clean one. Normalisation is vectorised for ASCII
values (for ASCII, NFKC is the identity) and falls back to ``identifiers.normalise`` for the
rest. The HMAC loop reuses pre-keyed hashlib states: measured ~3x faster than DuckDB's
``sha256`` over blobs on these machines (0.75 s vs 2.3 s for 600k values).
"""

from __future__ import annotations

import hashlib

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from govlake.identifiers import normalise

# What ``str.split()`` treats as whitespace within ASCII (RE2's \s lacks \v and \x1c-\x1f).
_ASCII_SPACE = r"[\t\n\x0b\x0c\r\x1c-\x1f ]"


def normalise_array(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """``identifiers.normalise`` of every value; nulls stay null.

    Only the values that need it are touched: one pass over the bytes finds them (usually
    none, or a few noisy ones in 100k), and the rest of the column is left as it is.
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    dirty = _dirty(values)
    if not dirty.any():
        return values  # the usual case: already clean
    dirty = pa.array(dirty)
    few = values.filter(dirty)
    out = pc.ascii_upper(pc.replace_substring_regex(few, _ASCII_SPACE, ""))
    other = pc.invert(pc.string_is_ascii(few))
    if pc.any(other).as_py():  # the few non-ASCII values (full-width digits): in Python
        fixed = [normalise(v) for v in few.filter(other).to_pylist()]
        out = pc.replace_with_mask(out, other, pa.array(fixed, pa.string()))
    return pc.replace_with_mask(values, dirty, out)


def _dirty(values: pa.Array) -> np.ndarray:
    """True where a present value has a character other than 0-9 and A-Z: the regex
    ``[^0-9A-Z]``, found on the UTF-8 bytes instead (any byte of a non-ASCII character is
    outside those ranges too), 3x faster than RE2 over 570k IDs."""
    offset_type = {pa.string(): np.int32, pa.large_string(): np.int64}.get(values.type)
    if offset_type is None or not len(values):  # other types: as the regex says
        found = pc.match_substring_regex(values, "[^0-9A-Z]")
        return np.asarray(pc.fill_null(found, False), dtype=bool)
    _, offsets, data = values.buffers()
    off = np.frombuffer(offsets, dtype=offset_type)[values.offset : values.offset + len(values) + 1]
    dirty = np.zeros(len(values), dtype=bool)
    if data is None or off[-1] == off[0]:
        return dirty
    b = np.frombuffer(data, dtype=np.uint8)[off[0] : off[-1]]
    bad = np.flatnonzero(((b - np.uint8(48)) > 9) & ((b - np.uint8(65)) > 25))  # wraps below
    dirty[np.searchsorted(off, bad + off[0], side="right") - 1] = True
    if values.null_count:
        dirty &= np.asarray(values.is_valid())
    return dirty


def _pads(key: bytes) -> tuple[bytes, bytes]:
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def hmac_hex(normalised: pa.Array, key: bytes) -> pa.Array:
    """Lower-case hex HMAC-SHA256 of each value; null for null or empty (blank) values."""
    ipad, opad = _pads(key)
    inner, outer = hashlib.sha256(ipad).copy, hashlib.sha256(opad).copy
    present = pc.fill_null(pc.greater(pc.binary_length(normalised), 0), False)
    todo = normalised.filter(present)

    def one(value: bytes) -> bytes:
        h = inner()
        h.update(value)
        o = outer()
        o.update(h.digest())
        return o.digest()

    digests = b"".join(map(one, todo.cast(pa.binary()).to_pylist()))
    hexed = pa.py_buffer(digests.hex().encode())
    offsets = pa.py_buffer(np.arange(0, 64 * len(todo) + 1, 64, dtype=np.int32).tobytes())
    dense = pa.Array.from_buffers(pa.string(), len(todo), [None, offsets, hexed])
    if len(todo) == len(normalised):
        return dense
    if not len(todo):  # no value at all (a blank column, or a batch of blank cells)
        return pa.nulls(len(normalised), pa.string())
    # scatter back: positions of present values get their digest, the rest null
    idx = np.cumsum(np.asarray(present, dtype=np.int64)) - 1
    taken = dense.take(pa.array(np.where(np.asarray(present), idx, 0)))
    return pc.if_else(present, taken, pa.scalar(None, pa.string()))
