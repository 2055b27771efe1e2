"""Time series: the statistics bureau's indicators, hospitals' and scenic spots' monthly reports.

Magnitudes follow Shijingshan's published order of size (GDP ~1,000 亿元 a year, tertiary
industry ~75%); a few older periods carry a revised value (修订版次 1 or 2) — delivered as the
latest revision only, so each (indicator, period, region) appears once per file.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from govlake.sample.places import Institution
from govlake.sample.rows import Rows, fmt_amount

REGION = "110107"
# code → (unit, yearly level at the end of the window, seasonal profile by month 1-12)
MONTHLY = {
    "B01": ("亿元", 260.0),
    "C01": ("亿元", 230.0),
    "D01": ("亿元", 105.0),
    "E01": ("亿元", 210.0),
}
QUARTERLY = {
    "A0101": ("亿元", 0.05),
    "A0102": ("亿元", 260.0),
    "A0103": ("亿元", 820.0),
    "F01": ("元", 92000.0),
}
SEASON = np.array([0.95, 0.80, 0.95, 0.98, 1.02, 1.05, 0.98, 0.97, 1.02, 1.05, 1.05, 1.18])
TOURISM_SEASON = np.array([0.55, 0.75, 0.85, 1.25, 1.45, 1.05, 1.2, 1.25, 1.1, 1.6, 1.0, 0.6])


def months_before(batch_date: dt.date, count: int) -> list[tuple[int, int]]:
    """The ``count`` complete months before the batch month, oldest first."""
    y, m = batch_date.year, batch_date.month
    out = []
    for _ in range(count):
        m -= 1
        if m == 0:
            y, m = y - 1, 12
        out.append((y, m))
    return out[::-1]


def economic_indicators(
    rng: np.random.Generator, names: dict[str, str], batch_date: dt.date, months: int
) -> Rows:
    """Monthly B01-E01, quarterly A01 (= A0101+A0102+A0103), A0101-A0103 and F01."""
    window = months_before(batch_date, months)
    rows: list[tuple[str, str, str, str, float, int]] = []
    first_year = window[0][0]
    for code, (unit, level) in MONTHLY.items():
        trend = rng.uniform(0.03, 0.08)
        for y, m in window:
            v = level / 12 * SEASON[m - 1] * (1 + trend) ** (y - batch_date.year)
            rows.append((code, unit, f"{y}-{m:02d}", "月", v * rng.normal(1, 0.03), 0))
    seen = set(window)
    quarters = sorted(
        {
            (y, (m - 1) // 3 + 1)
            for y, m in window
            if all((y, (m - 1) // 3 * 3 + k) in seen for k in (1, 2, 3))
        }
    )
    for y, q in quarters:
        parts = {}
        for code, (unit, level) in QUARTERLY.items():
            growth = (1.055) ** (y - batch_date.year)
            v = level / 4 * growth * rng.normal(1, 0.02) * (1.1 if q == 4 else 0.97)
            parts[code] = round(v, 2)
            rows.append((code, unit, f"{y}Q{q}", "季", parts[code], 0))
        gdp = parts["A0101"] + parts["A0102"] + parts["A0103"]
        rows.append(("A01", "亿元", f"{y}Q{q}", "季", gdp, 0))
    # revisions: some periods of the first year were revised once or twice
    out = []
    for code, unit, period, ptype, value, rev in rows:
        if period.startswith(str(first_year)) and code != "A01" and rng.random() < 0.15:
            rev = int(rng.integers(1, 3))
            value *= 1 + rng.normal(0, 0.01)
        out.append((code, unit, period, ptype, round(value, 2), rev))
    # keep A01 the sum of its parts after revisions
    sums: dict[str, float] = {}
    for code, _, period, _, value, _ in out:
        if code in ("A0101", "A0102", "A0103"):
            sums[period] = round(sums.get(period, 0.0) + value, 2)
    out = [(c, u, p, t, sums[p] if c == "A01" else v, r) for c, u, p, t, v, r in out]
    return Rows(
        {
            "indicator_code": [r[0] for r in out],
            "indicator_name": [names[r[0]] for r in out],
            "unit": [r[1] for r in out],
            "period": [r[2] for r in out],
            "period_type": [r[3] for r in out],
            "region_code": [REGION] * len(out),
            "value": fmt_amount(np.array([r[4] for r in out])),
            "revision": [str(r[5]) for r in out],
        }
    )


def medical_service_volumes(
    rng: np.random.Generator, insts: list[Institution], batch_date: dt.date, months: int
) -> Rows:
    """门急诊人次 by institution size (staff), 出院人次 and 占用床日 where there are beds."""
    window = months_before(batch_date, months)
    codes, month, visits, discharges, bed_days = [], [], [], [], []
    for inst in insts:
        per_staff = rng.uniform(60, 110)
        for y, m in window:
            season = SEASON[m - 1] * (1.15 if m in (1, 12) else 1.0)
            v = int(inst.staff * per_staff * season * rng.normal(1, 0.05))
            codes.append(inst.code)
            month.append(f"{y}-{m:02d}")
            visits.append(str(max(v, 0)))
            if inst.beds:
                days = 31 if m in (1, 3, 5, 7, 8, 10, 12) else 30 if m != 2 else 28
                occupied = int(inst.beds * days * rng.uniform(0.6, 0.95))
                bed_days.append(str(occupied))
                discharges.append(str(int(occupied / rng.uniform(7, 10))))
            else:
                bed_days.append(None)
                discharges.append(None)
    return Rows(
        {
            "institution_code": codes,
            "month": month,
            "outpatient_visits": visits,
            "inpatient_discharges": discharges,
            "bed_days": bed_days,
        }
    )


def tourism_monthly(
    rng: np.random.Generator, spots: Rows, batch_date: dt.date, months: int
) -> Rows:
    """Visitors with spring/autumn peaks (and October's Golden Week); revenue in 万元."""
    window = months_before(batch_date, months)
    codes, month, visitors, revenue = [], [], [], []
    for code, level, cap in zip(
        spots.columns["spot_code"],
        spots.columns["a_level"],
        spots.columns["max_capacity"],
        strict=True,
    ):
        daily = int(cap) * rng.uniform(0.05, 0.15)
        ticket = {"AAAA": 20.0, "AAA": 10.0}.get(level, 2.0) * rng.uniform(0.5, 2)
        for y, m in window:
            v = int(daily * 30 * TOURISM_SEASON[m - 1] * rng.normal(1, 0.08))
            codes.append(code)
            month.append(f"{y}-{m:02d}")
            visitors.append(str(max(v, 0)))
            revenue.append(f"{max(v, 0) * ticket / 10_000:.2f}")
    return Rows({"spot_code": codes, "month": month, "visitors": visitors, "revenue": revenue})
