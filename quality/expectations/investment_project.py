"""investment_project (固定资产投资项目): 开工日期 may be a *planned* start, so it may lie up
to ten years after the delivery date (the default window ends at the delivery date)."""

from __future__ import annotations

DATE_RANGES: dict[str, tuple[str | None, int | None]] = {"start_date": ("1949-10-01", 3653)}
