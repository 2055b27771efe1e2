"""Persons (实有人口) and households (户), chunk by chunk: the police extracts' truth.

Households are generated first (size, street, 户籍/常住/流动), then their members with ages
that make sense within a family (spouse near the head's age, children 22-40 years younger,
an elderly parent in large households). Citizen IDs come from ``make_citizen_id`` with a
per (division, birth date, sex) sequence counter kept across chunks, so IDs stay unique
while no chunk holds more than ``chunk_size`` persons.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from govlake.identifiers import division_codes, make_citizen_id
from govlake.sample.pools import Pools, pick, weighted
from govlake.sample.rows import age_at, as_dates

# 街道 with rough population shares (八角, 苹果园, 鲁谷 are the big ones)
STREETS: dict[str, float] = {
    "110107001": 9,
    "110107002": 10,
    "110107003": 16,
    "110107004": 13,
    "110107005": 16,
    "110107006": 9,
    "110107009": 4,
    "110107010": 6,
    "110107011": 17,
}
STREET_NAMES = {
    "110107001": "八宝山",
    "110107002": "老山",
    "110107003": "八角",
    "110107004": "古城",
    "110107005": "苹果园",
    "110107006": "金顶街",
    "110107009": "广宁",
    "110107010": "五里坨",
    "110107011": "鲁谷",
}
HOME = "110107"
# Other Beijing districts; 110118 密云区 / 110119 延庆区 exist since 2015 (post-2014 codes that
# stdnum rejects), 110103 崇文区 / 110104 宣武区 until 2010: IDs keep the code of the birth time.
BEIJING = (
    "110101",
    "110102",
    "110105",
    "110106",
    "110108",
    "110109",
    "110111",
    "110112",
    "110113",
    "110114",
    "110115",
    "110116",
    "110117",
    "110118",
    "110119",
)
NEW_CODE_SINCE = {
    "110118": ("110228", dt.date(2015, 11, 13)),
    "110119": ("110229", dt.date(2015, 11, 13)),
}
OLD_CODE_UNTIL = {
    "110101": ("110103", dt.date(2010, 7, 1)),
    "110102": ("110104", dt.date(2010, 7, 1)),
}
MIGRANT_PROVINCES = (
    "13",
    "37",
    "41",
    "23",
    "22",
    "21",
    "14",
    "15",
    "34",
    "42",
    "43",
    "51",
    "61",
    "62",
    "12",
    "32",
    "36",
    "50",
)
ETHNIC_MINORITIES = {
    "满族": 30,
    "回族": 30,
    "蒙古族": 12,
    "朝鲜族": 6,
    "土家族": 5,
    "壮族": 5,
    "苗族": 3,
    "藏族": 2,
    "维吾尔族": 2,
    "彝族": 2,
    "锡伯族": 3,
}
REGISTRATION = ("户籍", "常住", "流动")
EPOCH = np.datetime64("1900-01-01", "D")


@dataclass
class Persons:
    """One chunk of persons; ``household`` indexes the chunk's :class:`Households`."""

    cid: np.ndarray
    name: np.ndarray
    sex: np.ndarray
    born: np.ndarray  # datetime64[D]
    age: np.ndarray
    ethnicity: np.ndarray
    street: np.ndarray
    regtype: np.ndarray
    move_in: np.ndarray  # datetime64[D], NaT = born here
    household: np.ndarray

    def __len__(self) -> int:
        return len(self.cid)


@dataclass
class Households:
    hid: np.ndarray
    head: np.ndarray  # index of the head in the chunk's Persons
    htype: np.ndarray
    address: np.ndarray
    street: np.ndarray
    size: np.ndarray


def _migrant_codes(rng: np.random.Generator) -> list[str]:
    """150 county-level codes of provinces Beijing's migrants mostly come from."""
    codes = sorted(
        c
        for c in division_codes()
        if c[:2] in MIGRANT_PROVINCES and not c.endswith("00") and c[4:] != "00"
    )
    return sorted(rng.choice(codes, size=150, replace=False).tolist())


class PersonFactory:
    """Makes persons chunk by chunk; keeps only the ID sequence counters between chunks."""

    def __init__(self, seed: int, batch_date: dt.date, pools: Pools):
        self.seed, self.batch_date, self.pools = seed, batch_date, pools
        rng = np.random.default_rng([seed, 101])
        self.migrant = _migrant_codes(rng)
        olds = [v[0] for v in (*NEW_CODE_SINCE.values(), *OLD_CODE_UNTIL.values())]
        self.divisions = [HOME, *BEIJING, *olds, *self.migrant]
        assert set(self.divisions) <= division_codes()
        self.div_index = {d: i for i, d in enumerate(self.divisions)}
        self.days = int((np.datetime64(batch_date, "D") - EPOCH).astype(int)) + 1
        # per (division, birth day, sex): how many sequence numbers are used (500 per sex)
        self.counter = np.zeros(len(self.divisions) * self.days * 2, dtype=np.uint16)
        self.households_made = 0
        self.chunks_made = 0

    # ------------------------------------------------------------------ households
    def chunk(self, n: int) -> tuple[Persons, Households]:
        """``n`` persons in whole households (the last household is cut to fit)."""
        rng = np.random.default_rng([self.seed, 102, self.chunks_made])
        self.chunks_made += 1
        est = int(n / 2.3) + 16
        collective = rng.random(est) < 0.012
        size = np.where(
            collective,
            rng.integers(3, 31, size=est),
            rng.choice(np.arange(1, 7), size=est, p=[0.27, 0.31, 0.24, 0.11, 0.05, 0.02]),
        )
        while size.sum() < n:  # pragma: no cover - the estimate is generous
            size = np.concatenate([size, size])
            collective = np.concatenate([collective, collective])
        cum = np.cumsum(size)
        h = int(np.searchsorted(cum, n)) + 1
        size, collective = size[:h].copy(), collective[:h]
        size[-1] -= cum[h - 1] - n
        streets = list(STREETS)
        h_street = weighted(rng, streets, list(STREETS.values()), h)
        h_reg = np.where(
            collective,
            weighted(rng, REGISTRATION, (0.1, 0.3, 0.6), h),
            weighted(rng, REGISTRATION, (0.62, 0.18, 0.20), h),
        )
        ids = np.arange(self.households_made, self.households_made + h) + 1
        self.households_made += h
        hid = np.array([f"{HOME}{i:09d}" for i in ids.tolist()], dtype=object)

        # ------------------------------------------------------------------ members
        house = np.repeat(np.arange(h), size)
        start = np.repeat(np.cumsum(size) - size, size)
        pos = np.arange(n) - start
        coll = collective[house]
        ages_head = np.arange(20, 100)
        w_head = np.interp(
            ages_head, [20, 30, 40, 55, 65, 75, 85, 99], [0.5, 1.0, 1.0, 1.1, 1.0, 0.6, 0.3, 0.02]
        )
        head_age = rng.choice(ages_head, size=h, p=w_head / w_head.sum())[house].astype(float)
        hsize = size[house]
        spouse = (pos == 1) & (rng.random(n) < 0.8)
        parent = (pos >= 4) & (pos == hsize - 1) & (head_age < 65)
        age = np.where(pos == 0, head_age, 0.0)
        age = np.where(spouse, np.clip(head_age + rng.normal(-2, 3, n), 20, 100), age)
        child_age = head_age - rng.uniform(22, 40, n)
        child_age = np.where(child_age < 0, rng.uniform(0, 3, n), child_age)
        age = np.where((pos > 0) & ~spouse & ~parent, child_age, age)
        age = np.where(parent, np.minimum(head_age + rng.uniform(22, 32, n), 102), age)
        age = np.where(coll, rng.uniform(18, 60, n), age)
        age = np.floor(age) + rng.random(n)  # fractional part: where in the year the birthday is
        born = np.datetime64(self.batch_date, "D") - np.floor(age * 365.2425).astype(
            "timedelta64[D]"
        )
        head_male = rng.random(h) < 0.6
        male = np.where(pos == 0, head_male[house], rng.random(n) < 0.5)
        male = np.where(spouse & ~coll, ~head_male[house], male)
        sex = np.where(male, "男", "女").astype(object)

        surname_h = pick(rng, self.pools.surnames, h)[house]
        own_surname = pick(rng, self.pools.surnames, n)
        surname = np.where(coll | spouse, own_surname, surname_h)
        given = np.where(
            male, pick(rng, self.pools.male_given, n), pick(rng, self.pools.female_given, n)
        )
        name = surname + given
        minority = rng.random(n) >= 0.95
        ethnicity = np.where(
            minority,
            weighted(rng, list(ETHNIC_MINORITIES), list(ETHNIC_MINORITIES.values()), n),
            "汉族",
        ).astype(object)
        street = h_street[house]
        regtype = h_reg[house]

        # 出生地 division of the ID: mostly the district for 户籍, elsewhere for 流动
        where = rng.random(n)
        home_share = np.select([regtype == "户籍", regtype == "常住"], [0.7, 0.05], 0.02)
        bj_share = np.select([regtype == "户籍", regtype == "常住"], [0.25, 0.35], 0.03)
        division = np.where(
            where < home_share,
            HOME,
            np.where(
                where < home_share + bj_share,
                pick(rng, np.array(BEIJING, dtype=object), n),
                pick(rng, np.array(self.migrant, dtype=object), n),
            ),
        ).astype(object)
        for new, (old, since) in NEW_CODE_SINCE.items():
            division[(division == new) & (born < np.datetime64(since))] = old
        for kept, (old, until) in OLD_CODE_UNTIL.items():
            sel = (division == kept) & (born < np.datetime64(until)) & (rng.random(n) < 0.5)
            division[sel] = old

        cid = self._citizen_ids(division, born, male)
        ages = age_at(born, self.batch_date)
        # 迁入日期: none for 户籍 born in the district, else after birth (and after 1985)
        lo = np.maximum(born, np.datetime64("1985-01-01"))
        lo = np.where(
            regtype == "流动", np.maximum(born, np.datetime64(self.batch_date) - 3650), lo
        )
        hi = np.datetime64(self.batch_date, "D")
        span = np.maximum((hi - lo).astype(int), 0)
        move_in = lo + (rng.random(n) * span).astype("timedelta64[D]")
        move_in[(regtype == "户籍") & (division == HOME) & (rng.random(n) < 0.85)] = np.datetime64(
            "NaT"
        )

        persons = Persons(cid, name, sex, born, ages, ethnicity, street, regtype, move_in, house)
        htype = np.where(collective, "集体户", "家庭户").astype(object)
        road = pick(rng, self.pools.roads, h)
        no = rng.integers(1, 200, size=h)
        bld = rng.integers(1, 30, size=h)
        unit = rng.integers(1, 7, size=h)
        room = rng.integers(1, 25, size=h) * 100 + rng.integers(1, 5, size=h)
        address = np.array(
            [
                f"北京市石景山区{STREET_NAMES[s]}街道{r}{a}号"
                + ("集体宿舍" if c else f"院{b}号楼{u}单元{rm}室")
                for s, r, a, b, u, rm, c in zip(
                    h_street.tolist(),
                    road.tolist(),
                    no.tolist(),
                    bld.tolist(),
                    unit.tolist(),
                    room.tolist(),
                    collective.tolist(),
                    strict=True,
                )
            ],
            dtype=object,
        )
        head = np.cumsum(size) - size
        households = Households(hid, head, htype, address, h_street, size)
        return persons, households

    def _citizen_ids(self, division: np.ndarray, born: np.ndarray, male: np.ndarray) -> np.ndarray:
        """IDs from ``make_citizen_id``; sequence = next free number per (division, day, sex)."""
        div = np.array([self.div_index[d] for d in division.tolist()], dtype=np.int64)
        day = (born - EPOCH).astype(np.int64)
        key = (div * self.days + day) * 2 + male.astype(np.int64)
        order = np.argsort(key, kind="stable")
        sorted_key = key[order]
        first = np.r_[True, sorted_key[1:] != sorted_key[:-1]]
        group_start = np.maximum.accumulate(np.where(first, np.arange(len(key)), 0))
        rank = np.empty(len(key), dtype=np.int64)
        rank[order] = np.arange(len(key)) - group_start
        seq = self.counter[key].astype(np.int64) + rank
        if len(seq) and seq.max() >= 500:
            raise RuntimeError("more than 500 persons of one sex born on one day in one division")
        uniq, counts = np.unique(key, return_counts=True)
        self.counter[uniq] += counts.astype(np.uint16)
        return np.array(
            [
                make_citizen_id(d, b, s, m)
                for d, b, s, m in zip(
                    division.tolist(), as_dates(born), seq.tolist(), male.tolist(), strict=True
                )
            ],
            dtype=object,
        )


def police_rows(p: Persons, hh: Households) -> tuple[dict[str, list], dict[str, list]]:
    """registered_person and household columns (clean text)."""
    from govlake.sample.rows import date_text

    persons = {
        "citizen_id": p.cid.tolist(),
        "person_name": p.name.tolist(),
        "sex": p.sex.tolist(),
        "birth_date": date_text(p.born),
        "ethnicity": p.ethnicity.tolist(),
        "household_id": hh.hid[p.household].tolist(),
        "street_code": p.street.tolist(),
        "registration_type": p.regtype.tolist(),
        "move_in_date": date_text(p.move_in),
    }
    households = {
        "household_id": hh.hid.tolist(),
        "head_citizen_id": p.cid[hh.head].tolist(),
        "household_type": hh.htype.tolist(),
        "address": hh.address.tolist(),
        "street_code": hh.street.tolist(),
        "member_count": [str(s) for s in hh.size.tolist()],
    }
    return persons, households
