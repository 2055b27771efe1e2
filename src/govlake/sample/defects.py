"""Defects departments really send, injected at a rate, each recorded where it lands.

At most one defect per row. Fatal kinds must be quarantined by the quality gate; cosmetic ones
must pass it (NFKC + trim, or a listed date pattern, gives back the clean value). Rows that
carry a recorded disagreement are never touched, so a conflict report and a defect never mix.
A duplicate is an exact copy of a clean row inserted later in the same file: the copy is the
defect row and ``duplicate_of`` is the original's row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from govlake.formats import DATE_FORMATS, MONTH_FORMATS
from govlake.identifiers import USCC_ALPHABET
from govlake.register import FieldFormat, FieldType, InfoItem, Resource
from govlake.sample.rows import Rows

FATAL = ("bad_check_char", "duplicate_row", "blank_mandatory", "unknown_street_code")
COSMETIC = ("fullwidth_digits", "stray_spaces", "mixed_date_format")
KINDS = FATAL + COSMETIC
VALUE_KINDS = tuple(k for k in KINDS if k != "duplicate_row")  # kinds that change one value
WEIGHTS = {
    "bad_check_char": 1.0,
    "duplicate_row": 0.6,
    "blank_mandatory": 0.8,
    "unknown_street_code": 0.8,
    "fullwidth_digits": 1.2,
    "stray_spaces": 1.2,
    "mixed_date_format": 1.2,
}
# 110107007/008 exist in NBS tables but are not in use; 099/012 never existed
UNKNOWN_STREETS = ("110107099", "110107007", "110107008", "110107012")
SPACES = (" {}", "{} ", "\u3000{}", "{}\u3000", " {}\u3000", "\u3000\u3000{} ")
CODE_FORMATS = {
    FieldFormat.citizen_id,
    FieldFormat.credit_code,
    FieldFormat.street_code,
    FieldFormat.division_code,
    FieldFormat.industry_code,
    FieldFormat.period,
}
FULLWIDTH = str.maketrans({chr(0x30 + i): chr(0xFF10 + i) for i in range(10)})


@dataclass(frozen=True)
class Defect:
    """One injected defect; ``row`` and ``duplicate_of`` are 0-based positions in the batch."""

    row: int
    field: str | None
    kind: str
    clean_value: str | None
    delivered_value: str | None
    origin: int  # index of the affected (or, for a duplicate, the copied) clean row
    duplicate_of: int | None = None

    @property
    def fatal(self) -> bool:
        return self.kind in FATAL


def applies(kind: str, item: InfoItem, value: str | None) -> bool:
    """Whether ``kind`` is meaningful for this field and value."""
    if value is None:
        return False
    if kind == "bad_check_char":
        return item.format in (FieldFormat.citizen_id, FieldFormat.credit_code)
    if kind == "blank_mandatory":
        return not item.nullable
    if kind == "unknown_street_code":
        return item.format == FieldFormat.street_code
    if kind == "fullwidth_digits":
        numeric = item.type in (FieldType.integer, FieldType.decimal)
        return (item.format in CODE_FORMATS or numeric) and any(c.isdigit() for c in value)
    if kind == "mixed_date_format":
        return item.type in (FieldType.date, FieldType.month)
    return kind == "stray_spaces"


def damage(kind: str, item: InfoItem, value: str, rng: np.random.Generator) -> str | None:
    """The delivered value for a clean ``value`` with defect ``kind``."""
    if kind == "bad_check_char":
        alphabet = "0123456789X" if item.format == FieldFormat.citizen_id else USCC_ALPHABET
        wrong = [c for c in alphabet if c != value[-1]]
        return value[:-1] + wrong[int(rng.integers(len(wrong)))]
    if kind == "blank_mandatory":
        return None
    if kind == "unknown_street_code":
        return UNKNOWN_STREETS[int(rng.integers(len(UNKNOWN_STREETS)))]
    if kind == "fullwidth_digits":
        return value.translate(FULLWIDTH)
    if kind == "stray_spaces":
        return SPACES[int(rng.integers(len(SPACES)))].format(value)
    if kind == "mixed_date_format":
        if item.type == FieldType.month:
            d = dt.date(int(value[:4]), int(value[5:7]), 1)
            pattern = MONTH_FORMATS[1 + int(rng.integers(len(MONTH_FORMATS) - 1))]
        else:
            d = dt.date.fromisoformat(value)
            pattern = DATE_FORMATS[1 + int(rng.integers(len(DATE_FORMATS) - 1))]
        return d.strftime(pattern)
    raise ValueError(f"unknown defect kind {kind!r}")


def inject(
    resource: Resource, rows: Rows, count: int, rng: np.random.Generator
) -> tuple[dict[str, list], list[Defect]]:
    """Put ``count`` defects into distinct unprotected rows; return the delivered columns."""
    cols = {name: list(values) for name, values in rows.columns.items()}
    n = len(rows)
    eligible = np.flatnonzero(~rows.protected_mask())
    count = min(count, len(eligible))
    if count == 0:
        return cols, []
    chosen = np.sort(rng.choice(eligible, size=count, replace=False)).tolist()
    fields = resource.fields
    defects: list[Defect] = []
    originals: list[int] = []
    for r in chosen:
        options: dict[str, list[InfoItem]] = {"duplicate_row": []}
        for item in fields:
            value = cols[item.name][r]
            for kind in VALUE_KINDS:
                if applies(kind, item, value):
                    options.setdefault(kind, []).append(item)
        kinds = [k for k in KINDS if k in options]
        w = np.array([WEIGHTS[k] for k in kinds])
        kind = kinds[int(rng.choice(len(kinds), p=w / w.sum()))]
        if kind == "duplicate_row":
            originals.append(r)
            continue
        items = options[kind]
        item = items[int(rng.integers(len(items)))]
        clean = cols[item.name][r]
        delivered = damage(kind, item, clean, rng)
        cols[item.name][r] = delivered
        defects.append(Defect(r, item.name, kind, clean, delivered, r))
    if not originals:
        return cols, defects
    # insert each copy somewhere after its original; positions shift, so renumber everything
    keys = np.concatenate(
        [
            np.arange(n, dtype=float),
            np.array([o + 0.5 + rng.random() * (n - o - 0.5) for o in originals]),
        ]
    )
    order = np.argsort(keys, kind="stable")
    position = np.empty(len(order), dtype=np.int64)
    position[order] = np.arange(len(order))
    source = order.tolist()
    out = {}
    for name, values in cols.items():
        extended = values + [values[o] for o in originals]
        out[name] = [extended[i] for i in source]
    moved = [
        Defect(int(position[d.row]), d.field, d.kind, d.clean_value, d.delivered_value, d.origin)
        for d in defects
    ]
    for j, o in enumerate(originals):
        moved.append(
            Defect(int(position[n + j]), None, "duplicate_row", None, None, o, int(position[o]))
        )
    moved.sort(key=lambda d: d.row)
    return out, moved
