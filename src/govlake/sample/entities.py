"""Legal entities (法人) as market regulation, tax and statistics see them.

One entity list drives three departments' extracts (多证合一: one credit code everywhere):
market regulation registers them all, tax covers ~90%, the statistical roster ~70%. The
non-authoritative copies disagree with the authority for a small recorded share (old names,
a different industry or street), exactly like real cross-department data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from govlake.identifiers import USCC_ALPHABET, make_credit_code
from govlake.sample.people import STREETS
from govlake.sample.pools import INDUSTRY_WORDS, Pools, pick, weighted
from govlake.sample.rows import Disagreements, Rows, date_text, fmt_amount, fmt_int

ENTITY_TYPES = {
    "有限责任公司": 52,
    "个体工商户": 27,
    "分公司": 7,
    "个人独资企业": 4,
    "股份有限公司": 3,
    "合伙企业": 3,
    "外商投资企业": 2,
    "农民专业合作社": 0.5,
}
STATUSES = {"存续": 62, "在业": 18, "吊销": 6, "注销": 11, "迁出": 3}
ACTIVE = ("存续", "在业")
# GB/T 4754 divisions (vocab industry_division) weighted like a services-heavy urban district
INDUSTRY_WEIGHTS = {
    "L72": 14,
    "F51": 13,
    "F52": 10,
    "I65": 10,
    "M74": 5,
    "M75": 6,
    "H62": 6,
    "R88": 3,
    "K70": 3,
    "E48": 2,
    "E50": 3,
    "O80": 4,
    "O81": 2,
    "I64": 3,
    "M73": 2,
    "E47": 2,
    "G54": 1,
    "G58": 1,
    "P83": 2,
    "Q84": 1,
    "R87": 2,
    "R89": 1,
    "R90": 1,
    "J67": 1,
    "J69": 0.5,
    "J66": 0.3,
    "L71": 1,
    "N77": 0.5,
    "N78": 0.5,
    "H61": 1,
    "C39": 0.5,
    "C27": 0.3,
    "C26": 0.1,
    "C13": 0.2,
    "D44": 0.1,
    "G60": 0.3,
    "I63": 0.3,
    "Q85": 0.3,
    "R86": 0.3,
}
# Some departments record the 4-digit 小类 (GB/T 4754-2017 classes of these divisions)
CLASSES = {
    "I65": ("I6510", "I6511", "I6513", "I6520", "I6531", "I6550", "I6560"),
    "F52": ("F5211", "F5212", "F5219", "F5261"),
    "F51": ("F5111", "F5137", "F5191"),
    "H62": ("H6210", "H6220", "H6291"),
    "H61": ("H6110", "H6121", "H6140"),
    "L72": ("L7211", "L7212", "L7281", "L7251"),
    "K70": ("K7010", "K7020"),
    "E47": ("E4710", "E4790"),
    "M74": ("M7484", "M7491"),
    "I64": ("I6421", "I6432"),
}
SHOP_WORDS = {
    "H62": ("餐馆", "小吃店", "面馆"),
    "F52": ("便利店", "商店", "水果店"),
    "O80": ("家政服务部", "理发店"),
    "O81": ("维修部", "汽车修理部"),
}
SIZES = {"微型": 72, "小型": 21, "中型": 5, "大型": 2}
EMPLOYEES = {"微型": (1, 10), "小型": (10, 100), "中型": (100, 1000), "大型": (1000, 30000)}
USCC_NEW_SINCE = np.datetime64("2015-10-01")
_A, _B = 7_919_113, 1_234_567  # multiplier coprime with 10 and 31: a bijection, so unique codes


def _base31(n: int, width: int) -> str:
    out = []
    for _ in range(width):
        n, r = divmod(n, 31)
        out.append(USCC_ALPHABET[r])
    return "".join(reversed(out))


def credit_code(index: int, kind: str, division: str, new_style: bool, seed: int) -> str:
    """A valid, unique code for entity ``index``: registry 9x, division, 主体标识码, check."""
    registry = {"个体工商户": "92", "农民专业合作社": "93"}.get(kind, "91")
    mixed = index * _A + _B + seed * 104_729
    # since 2015: 主体标识码 "MA…"; before: the old 9-character organisation code
    org = "MA" + _base31(mixed % 31**7, 7) if new_style else f"{mixed % 10**8:08d}{index % 10}"
    return make_credit_code(registry, division, org)


@dataclass
class EntityPool:
    """What later generators need from all entities without keeping them in memory."""

    employer_codes: list[np.ndarray] = field(default_factory=list)
    employer_weights: list[np.ndarray] = field(default_factory=list)
    hotels: list[tuple[str, str, str]] = field(default_factory=list)  # code, name, street
    owners: list[tuple[str, str, str]] = field(default_factory=list)  # code, industry, name

    def employers(self) -> tuple[np.ndarray, np.ndarray]:
        codes = np.concatenate(self.employer_codes) if self.employer_codes else np.array([])
        w = np.concatenate(self.employer_weights) if self.employer_weights else np.array([])
        return codes, w / w.sum() if len(w) else w


@dataclass
class EntityRows:
    market: Rows
    tax: Rows
    stats: Rows


class EntityFactory:
    """Entities chunk by chunk; the global index keeps credit codes unique across chunks."""

    def __init__(self, seed: int, batch_date: dt.date, pools: Pools):
        self.seed, self.batch_date, self.pools = seed, batch_date, pools
        self.made = 0
        self.chunks = 0
        self.pool = EntityPool()

    def chunk(self, n: int, dis: Disagreements) -> EntityRows:
        rng = np.random.default_rng([self.seed, 201, self.chunks])
        self.chunks += 1
        idx = np.arange(self.made, self.made + n)
        self.made += n
        kind = weighted(rng, list(ENTITY_TYPES), list(ENTITY_TYPES.values()), n)
        status = weighted(rng, list(STATUSES), list(STATUSES.values()), n)
        if self.chunks == 1:
            status[: min(n, 6)] = "存续"
        division = weighted(rng, list(INDUSTRY_WEIGHTS), list(INDUSTRY_WEIGHTS.values()), n)
        if self.chunks == 1:  # a few 住宿业 entities even on tiny scales, so hotels exist
            division[: min(n, 6)] = "H61"
        industry = division.copy()
        four = rng.random(n) < 0.2
        for div, classes in CLASSES.items():
            sel = four & (division == div)
            industry[sel] = pick(rng, np.array(classes, dtype=object), int(sel.sum()))
        years = np.minimum(rng.exponential(np.where(kind == "个体工商户", 5.0, 9.0)), 40)
        est = np.datetime64(self.batch_date, "D") - (years * 365.25).astype("timedelta64[D]")
        reg_div = weighted(rng, ("110107", "110000", "110108"), (93, 4, 3), n)
        codes = np.array(
            [
                credit_code(i, k, d, bool(e >= USCC_NEW_SINCE), self.seed)
                for i, k, d, e in zip(
                    idx.tolist(), kind.tolist(), reg_div.tolist(), est, strict=True
                )
            ],
            dtype=object,
        )
        brand = pick(rng, self.pools.brand_words, n)
        word = np.array(
            [
                INDUSTRY_WORDS[d][j % len(INDUSTRY_WORDS[d])]
                for d, j in zip(division.tolist(), rng.integers(0, 6, n).tolist(), strict=True)
            ],
            dtype=object,
        )
        shop = np.array(
            [
                SHOP_WORDS.get(d, ("经营部",))[j % len(SHOP_WORDS.get(d, ("经营部",)))]
                for d, j in zip(division.tolist(), rng.integers(0, 6, n).tolist(), strict=True)
            ],
            dtype=object,
        )
        name = np.array(
            [
                _entity_name(k, b, w, s)
                for k, b, w, s in zip(
                    kind.tolist(), brand.tolist(), word.tolist(), shop.tolist(), strict=True
                )
            ],
            dtype=object,
        )
        rep_male = rng.random(n) < 0.65
        rep = pick(rng, self.pools.surnames, n) + np.where(
            rep_male, pick(rng, self.pools.male_given, n), pick(rng, self.pools.female_given, n)
        )
        median = np.select(
            [
                kind == "股份有限公司",
                kind == "个体工商户",
                np.isin(kind, ["合伙企业", "外商投资企业"]),
            ],
            [5000.0, 10.0, 1000.0],
            100.0,
        )
        capital = np.round(median * rng.lognormal(0, 1.2, n), 2)
        capital_text = np.array(fmt_amount(capital), dtype=object)
        capital_text[(kind == "分公司") | ((kind == "个体工商户") & (rng.random(n) < 0.6))] = None
        street = weighted(rng, list(STREETS), list(STREETS.values()), n)
        road = pick(rng, self.pools.roads, n)
        no = rng.integers(1, 300, n)
        floor = rng.integers(1, 20, n)
        address = np.array(
            [
                f"北京市石景山区{r}{a}号"
                + ("" if k == "个体工商户" else f"{f}层{f * 100 + a % 30}室")
                for r, a, f, k in zip(
                    road.tolist(), no.tolist(), floor.tolist(), kind.tolist(), strict=True
                )
            ],
            dtype=object,
        )
        # ------------------------------------------------------------------ statistics roster
        in_stats = rng.random(n) < 0.7
        size = weighted(rng, list(SIZES), list(SIZES.values()), n)
        size[kind == "个体工商户"] = "微型"
        lo = np.array([EMPLOYEES[s][0] for s in size.tolist()])
        hi = np.array([EMPLOYEES[s][1] for s in size.tolist()])
        employees = np.floor(np.exp(rng.uniform(np.log(lo), np.log(hi)))).astype(int)
        # ------------------------------------------------------------------ tax
        in_tax = rng.random(n) < 0.9
        general = rng.random(n) < np.where((capital >= 500) | (kind == "股份有限公司"), 0.6, 0.15)
        taxpayer_type = np.where(general, "一般纳税人", "小规模纳税人").astype(object)
        tax_status = np.where(rng.random(n) < 0.97, "正常", "非正常").astype(object)
        tax_status[status == "吊销"] = np.where(
            rng.random(int((status == "吊销").sum())) < 0.7, "非正常", "注销"
        )
        tax_status[status == "注销"] = "注销"
        band = weighted(rng, ("A", "B", "M", "C", "D"), (12, 45, 28, 8, 4), n)
        band[tax_status == "非正常"] = "D"
        band[rng.random(n) < 0.08] = None
        tax_date = np.minimum(
            est + rng.integers(0, 90, n).astype("timedelta64[D]"), np.datetime64(self.batch_date)
        )
        tax_date_text = np.array(date_text(tax_date), dtype=object)
        tax_date_text[rng.random(n) < 0.03] = None

        # ------------------------------------------------------------------ disagreements
        protected = np.zeros(n, dtype=bool)
        tax_name = name.copy()
        old = in_tax & (rng.random(n) < 0.01)
        renamed = np.array(
            [
                _renamed(nm, b, pick(rng, self.pools.brand_words, 1)[0])
                for nm, b in zip(name[old].tolist(), brand[old].tolist(), strict=True)
            ],
            dtype=object,
        )
        tax_name[old] = renamed
        dis.add(
            "legal_entity.name",
            codes[old].tolist(),
            "tax_registration",
            "taxpayer_name",
            name[old].tolist(),
            renamed.tolist(),
        )
        protected |= old

        unit_name = name.copy()
        sel = in_stats & (rng.random(n) < 0.01)
        variant = np.array([_short_name(nm) for nm in name[sel].tolist()], dtype=object)
        unit_name[sel] = variant
        dis.add(
            "legal_entity.name",
            codes[sel].tolist(),
            "statistical_unit",
            "unit_name",
            name[sel].tolist(),
            variant.tolist(),
        )
        protected |= sel

        market_industry = industry.copy()
        sel = in_stats & (rng.random(n) < 0.03)
        divisions = np.array(list(INDUSTRY_WEIGHTS), dtype=object)
        other = pick(rng, divisions, int(sel.sum()))
        clash = other == division[sel]
        other[clash] = np.where(division[sel][clash] == "L72", "I65", "L72")
        market_industry[sel] = other
        dis.add(
            "legal_entity.industry",
            codes[sel].tolist(),
            "enterprise_registration",
            "industry_code",
            industry[sel].tolist(),
            other.tolist(),
        )
        protected |= sel

        stats_street = street.copy()
        sel = in_stats & (rng.random(n) < 0.01)
        moved = _other_street(rng, street[sel])
        stats_street[sel] = moved
        dis.add(
            "legal_entity.street",
            codes[sel].tolist(),
            "statistical_unit",
            "street_code",
            street[sel].tolist(),
            moved.tolist(),
        )
        protected |= sel

        # ------------------------------------------------------------------ for later generators
        active = np.isin(status, ACTIVE)
        self.pool.employer_codes.append(codes[active].astype("U18"))
        self.pool.employer_weights.append(employees[active].astype(np.float32))
        for i in np.flatnonzero(active & (division == "H61")).tolist():
            self.pool.hotels.append((codes[i], name[i], street[i]))
        room = max(0, 20_000 - len(self.pool.owners))
        for i in np.flatnonzero(active & (kind != "个体工商户"))[:room].tolist():
            self.pool.owners.append((codes[i], industry[i], name[i]))

        market = Rows(
            {
                "credit_code": codes.tolist(),
                "entity_name": name.tolist(),
                "entity_type": kind.tolist(),
                "legal_representative": rep.tolist(),
                "registered_capital": capital_text.tolist(),
                "established_date": date_text(est),
                "status": status.tolist(),
                "industry_code": market_industry.tolist(),
                "address": address.tolist(),
                "street_code": street.tolist(),
            },
            protected,
            np.arange(n),
        )
        t = in_tax
        tax = Rows(
            {
                "credit_code": codes[t].tolist(),
                "taxpayer_name": tax_name[t].tolist(),
                "taxpayer_type": taxpayer_type[t].tolist(),
                "tax_status": tax_status[t].tolist(),
                "credit_band": band[t].tolist(),
                "registered_date": tax_date_text[t].tolist(),
            },
            protected[t],
            np.flatnonzero(t),
        )
        s = in_stats
        stats = Rows(
            {
                "credit_code": codes[s].tolist(),
                "unit_name": unit_name[s].tolist(),
                "industry_code": industry[s].tolist(),
                "size_class": size[s].tolist(),
                "employees": fmt_int(employees[s]),
                "street_code": stats_street[s].tolist(),
            },
            protected[s],
            np.flatnonzero(s),
        )
        return EntityRows(market, tax, stats)


def _entity_name(kind: str, brand: str, word: str, shop: str) -> str:
    """Registered name (企业名称) following the usual 行政区划+字号+行业+组织形式 pattern."""
    if kind == "个体工商户":
        return f"北京市石景山区{brand}{shop}"
    if kind == "分公司":
        return f"{brand}{word}有限公司北京石景山分公司"
    if kind == "股份有限公司":
        return f"北京{brand}{word}股份有限公司"
    if kind == "个人独资企业":
        return f"北京{brand}{word}中心"
    if kind == "合伙企业":
        return f"北京{brand}{word}中心(有限合伙)"
    if kind == "外商投资企业":
        return f"{brand}(北京){word}有限公司"
    if kind == "农民专业合作社":
        return f"北京{brand}果品专业合作社"
    return f"北京{brand}{word}有限公司"


def _short_name(name: str) -> str:
    """The name as a statistician wrote it: without (or with) the 北京 place prefix."""
    if name.startswith("北京市"):
        return name[3:]
    return name[2:] if name.startswith("北京") else "北京" + name


def _renamed(name: str, brand: str, new_brand: str) -> str:
    """The entity's former name (曾用名): another 字号 (brand)."""
    if new_brand == brand:
        new_brand = brand + "新"
    return name.replace(brand, new_brand, 1)


def _other_street(rng: np.random.Generator, current: np.ndarray) -> np.ndarray:
    """A different 街道 for each value (someone moved, or a stale address)."""
    streets = np.array(list(STREETS), dtype=object)
    out = pick(rng, streets, len(current))
    same = out == current
    while same.any():
        out[same] = pick(rng, streets, int(same.sum()))
        same = out == current
    return out
