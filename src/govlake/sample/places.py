"""Facilities: medical institutions (卫健委), scenic spots and hotels (文旅局), investment projects
(发改委). Small lists; real public names of Shijingshan's landmarks mixed with generated ones."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from govlake.identifiers import make_credit_code
from govlake.sample.entities import EntityPool
from govlake.sample.people import STREET_NAMES, STREETS
from govlake.sample.pools import Pools, pick, weighted
from govlake.sample.rows import Rows, date_text, fmt_amount, fmt_int

# name, type, level, beds, staff, street (public institutions; codes are synthetic)
HOSPITALS = (
    ("北京大学首钢医院", "综合医院", "三级", 1100, 1600, "110107006"),
    ("北京市石景山医院", "综合医院", "三级", 900, 1300, "110107001"),
    ("清华大学玉泉医院", "综合医院", "二级", 400, 600, "110107011"),
    ("北京朝阳医院京西院区", "综合医院", "三级", 700, 900, "110107001"),
    ("北京市石景山区中医医院", "中医医院", "二级", 300, 420, "110107004"),
    ("北京市石景山区妇幼保健院", "专科医院", "二级", 150, 380, "110107003"),
)
# name, A level, max daily capacity, street
SPOTS = (
    ("八大处公园", "AAAA", 40000, "110107010"),
    ("北京国际雕塑公园", "AAAA", 30000, "110107003"),
    ("石景山游乐园", "AAAA", 35000, "110107003"),
    ("首钢园", "AAAA", 50000, "110107009"),
    ("法海寺", "AAA", 5000, "110107006"),
    ("模式口历史文化街区", "AAA", 20000, "110107006"),
    ("承恩寺", "AA", 3000, "110107006"),
    ("田义墓", "AA", 2000, "110107006"),
    ("慈善寺", "A", 3000, "110107010"),
)
HOTEL_STARS = {"五星": 1, "四星": 5, "三星": 10, "二星": 4, "未评星": 60}
PROJECT_STATUS = {"前期": 25, "在建": 45, "竣工": 25, "停建": 5}


@dataclass(frozen=True)
class Institution:
    code: str
    kind: str
    beds: int
    staff: int


def medical_institutions(
    rng: np.random.Generator, count: int, seed: int, pools: Pools
) -> tuple[Rows, list[Institution]]:
    """Hospitals, one 社区卫生服务中心 per 街道, stations, 门诊部 and clinics."""
    rows: list[tuple[str, str, str | None, int | None, int]] = []
    for name, kind, level, beds, staff, street in HOSPITALS:
        rows.append((name, kind, level, beds, staff, street))  # type: ignore[arg-type]
    for code, short in STREET_NAMES.items():
        rows.append(
            (
                f"北京市石景山区{short}社区卫生服务中心",
                "社区卫生服务中心",
                "一级",
                int(rng.integers(0, 40)),
                int(rng.integers(40, 160)),
                code,
            )
        )
    streets = list(STREETS)
    while len(rows) < count:
        r = rng.random()
        street = streets[int(rng.integers(len(streets)))]
        road = pick(rng, pools.roads, 1)[0]
        brand = pick(rng, pools.brand_words, 1)[0]
        if r < 0.35:
            rows.append(
                (
                    f"北京市石景山区{road}社区卫生服务站",
                    "社区卫生服务站",
                    "未定级",
                    0,
                    int(rng.integers(4, 20)),
                    street,
                )
            )
        elif r < 0.55:
            rows.append(
                (
                    f"北京{brand}门诊部",
                    "门诊部",
                    None,
                    int(rng.integers(0, 10)),
                    int(rng.integers(8, 60)),
                    street,
                )
            )
        elif r < 0.58:
            rows.append(
                (
                    f"北京{brand}医院",
                    "专科医院",
                    "一级",
                    int(rng.integers(20, 120)),
                    int(rng.integers(30, 150)),
                    street,
                )
            )
        else:
            rows.append((f"北京{brand}诊所", "诊所", None, 0, int(rng.integers(1, 8)), street))
    rows = rows[: max(count, len(HOSPITALS) + len(STREET_NAMES))]
    codes, insts = [], []
    for i, (_, kind, _, beds, staff, _) in enumerate(rows):
        private = kind in ("门诊部", "诊所") or (kind == "专科医院" and i >= len(HOSPITALS))
        registry = "52" if private else "12"  # 民办非企业单位 / 事业单位
        code = make_credit_code(registry, "110107", f"{(i * 7919 + seed * 31) % 10**8:08d}{i % 10}")
        codes.append(code)
        insts.append(Institution(code, kind, beds or 0, staff))
    return Rows(
        {
            "institution_code": codes,
            "institution_name": [r[0] for r in rows],
            "institution_type": [r[1] for r in rows],
            "level": [r[2] for r in rows],
            "beds": [str(r[3]) for r in rows],
            "staff": [str(r[4]) for r in rows],
            "street_code": [r[5] for r in rows],
        }
    ), insts


def scenic_spots(rng: np.random.Generator, count: int, pools: Pools) -> Rows:
    """The real A-level spots first, then generated parks when a scale asks for more."""
    rows = list(SPOTS)
    streets = list(STREETS)
    while len(rows) < count:
        road = pick(rng, pools.roads, 1)[0]
        rows.append(
            (
                f"{road}{'公园' if rng.random() < 0.7 else '文化园'}",
                "A",
                int(rng.integers(1000, 8000)),
                streets[int(rng.integers(len(streets)))],
            )
        )
    names = sorted({r[0] for r in rows}, key=[r[0] for r in rows].index)
    rows = [next(r for r in rows if r[0] == n) for n in names]
    return Rows(
        {
            "spot_code": [f"JQ110107{i + 1:03d}" for i in range(len(rows))],
            "spot_name": [r[0] for r in rows],
            "a_level": [r[1] for r in rows],
            "max_capacity": [str(r[2]) for r in rows],
            "street_code": [r[3] for r in rows],
        }
    )


def hotels(rng: np.random.Generator, pool: EntityPool) -> Rows:
    """住宿设施: the active H61 (住宿业) entities of the market register, same credit code."""
    n = len(pool.hotels)
    star = weighted(rng, list(HOTEL_STARS), list(HOTEL_STARS.values()), n)
    base = np.select([star == "五星", star == "四星", star == "三星"], [300, 180, 100], 40)
    rooms = np.maximum(5, (base * rng.uniform(0.5, 1.5, n)).astype(int))
    beds = (rooms * rng.uniform(1.2, 1.9, n)).astype(int)
    star_text = star.copy()
    star_text[(star == "未评星") & (rng.random(n) < 0.3)] = None
    return Rows(
        {
            "hotel_code": [h[0] for h in pool.hotels],
            "hotel_name": [h[1] for h in pool.hotels],
            "star_rating": star_text.tolist(),
            "rooms": fmt_int(rooms),
            "beds": fmt_int(beds),
            "street_code": [h[2] for h in pool.hotels],
        }
    )


def investment_projects(
    rng: np.random.Generator, count: int, pool: EntityPool, batch_date: dt.date, pools: Pools
) -> Rows:
    """项目代码 ``YYYY-110107-<行业2位>-<类型2位>-<6位序号>`` (全国投资项目在线审批监管平台)."""
    owners = pool.owners
    if not owners:
        return Rows(
            {
                k: []
                for k in (
                    "project_code",
                    "project_name",
                    "owner_credit_code",
                    "industry_code",
                    "total_investment",
                    "start_date",
                    "status",
                    "street_code",
                )
            }
        )
    pick_owner = rng.integers(len(owners), size=count)
    year = batch_date.year - rng.integers(0, 6, size=count)
    kind = weighted(rng, ("01", "02", "03"), (20, 10, 70), count)  # 审批/核准/备案
    serial = rng.choice(900_000, size=count, replace=False) + 100_000
    status = weighted(rng, list(PROJECT_STATUS), list(PROJECT_STATUS.values()), count)
    invest = np.round(np.exp(rng.normal(np.log(5000), 1.4, count)) + 50, 2)
    start = np.array(
        [np.datetime64(f"{y}-01-01") + int(rng.integers(0, 365)) for y in year.tolist()],
        dtype="datetime64[D]",
    )
    start = np.minimum(start, np.datetime64(batch_date, "D"))
    start_text = np.array(date_text(start), dtype=object)
    start_text[(status == "前期") & (rng.random(count) < 0.6)] = None
    what = pick(
        rng,
        np.array(
            [
                "研发中心建设项目",
                "办公楼装修改造项目",
                "产业园建设项目",
                "住宅项目",
                "数据中心建设项目",
                "设备更新项目",
            ],
            dtype=object,
        ),
        count,
    )
    road = pick(rng, pools.roads, count)
    streets = weighted(rng, list(STREETS), list(STREETS.values()), count)
    codes, names, industries, owner_codes = [], [], [], []
    for i, o in enumerate(pick_owner.tolist()):
        code, industry, name = owners[o]
        industries.append(industry)
        owner_codes.append(code)
        codes.append(f"{year[i]}-110107-{industry[1:3]}-{kind[i]}-{serial[i]:06d}")
        names.append(f"{name.removesuffix('有限公司')}{road[i]}{what[i]}")
    return Rows(
        {
            "project_code": codes,
            "project_name": names,
            "owner_credit_code": owner_codes,
            "industry_code": industries,
            "total_investment": fmt_amount(invest),
            "start_date": start_text.tolist(),
            "status": status.tolist(),
            "street_code": streets.tolist(),
        }
    )
