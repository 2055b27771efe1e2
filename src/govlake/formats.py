"""How departments write dates and months: the one list the generator, the quality gate and
dbt staging share (DuckDB's ``try_strptime(x, [...])`` takes the same strptime patterns)."""

from __future__ import annotations

# ISO first: the canonical form; the others are what department exports really contain.
DATE_FORMATS: tuple[str, ...] = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y年%m月%d日", "%Y.%m.%d")
MONTH_FORMATS: tuple[str, ...] = ("%Y-%m", "%Y/%m", "%Y%m", "%Y年%m月")

# A plausible date for any field (births, registrations, projects); checks narrow it per field.
EARLIEST_DATE = "1900-01-01"
