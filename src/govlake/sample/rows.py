"""The unit passed between generators, the defect injector and the writers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

Column = list[str | None]


@dataclass
class Rows:
    """Clean rows of one resource as text columns (register field names, register order).

    ``protected`` marks rows that carry (or whose entity carries) a recorded disagreement:
    the injector leaves them alone so a conflict report never mixes with a defect.
    """

    columns: dict[str, Column]
    protected: np.ndarray | None = None
    entity: np.ndarray | None = None  # chunk-local person/entity index of each row (for truth)

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def protected_mask(self) -> np.ndarray:
        return self.protected if self.protected is not None else np.zeros(len(self), dtype=bool)


@dataclass
class Disagreements:
    """Recorded 一数一源 disagreements: a department delivers another value than the authority."""

    rows: list[tuple[str, str, str, str, str, str]] = field(default_factory=list)

    def add(
        self,
        base_attribute: str,
        keys: list[str],
        resource: str,
        fieldname: str,
        authoritative: list[str],
        delivered: list[str],
    ) -> None:
        for k, a, d in zip(keys, authoritative, delivered, strict=True):
            assert a != d, (base_attribute, k, a)
            self.rows.append((base_attribute, k, resource, fieldname, a, d))


def date_text(days: np.ndarray) -> Column:
    """datetime64[D] → ISO text; NaT → None (an empty cell)."""
    text = np.datetime_as_string(days, unit="D").astype(object)
    text[np.isnat(days)] = None
    return text.tolist()


def as_dates(days: np.ndarray) -> list[dt.date]:
    return days.astype("datetime64[D]").astype(object).tolist()


def age_at(born: np.ndarray, day: dt.date) -> np.ndarray:
    """Age in whole years on ``day`` (birthday counted on the day itself)."""
    y = born.astype("datetime64[Y]").astype(int) + 1970
    m = born.astype("datetime64[M]").astype(int) % 12 + 1
    d = (born - born.astype("datetime64[M]").astype("datetime64[D]")).astype(int) + 1
    before = (m > day.month) | ((m == day.month) & (d > day.day))
    return day.year - y - before.astype(int)


def fmt_amount(values: np.ndarray, decimals: int = 2) -> Column:
    """Decimal text as department systems export it (fixed decimals)."""
    return [f"{v:.{decimals}f}" for v in values.tolist()]


def fmt_int(values: np.ndarray) -> Column:
    return [str(v) for v in values.astype(np.int64).tolist()]
