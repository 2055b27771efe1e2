"""Value pools drawn from Faker('zh_CN') once per seed; rows then index them with numpy.

Per-row Faker calls are ~100x slower than indexing a pool, and the pools keep every name and
address synthetic (never real personal data).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from faker import Faker

# Real road names of Shijingshan (public geography, not personal data) mixed with Faker's.
REAL_ROADS = (
    "石景山路",
    "阜石路",
    "鲁谷路",
    "八角北路",
    "八角西街",
    "古城大街",
    "古城南路",
    "苹果园路",
    "苹果园南路",
    "金顶街",
    "模式口大街",
    "杨庄东街",
    "实兴大街",
    "玉泉路",
    "五里坨路",
    "广宁路",
    "老山南路",
    "老山西街",
    "衙门口路",
    "鲁谷大街",
    "北辛安路",
    "西井路",
    "金顶北路",
    "依翠园路",
)
# 行业词 by GB/T 4754 division, used in enterprise names
INDUSTRY_WORDS: dict[str, tuple[str, ...]] = {
    "C13": ("食品",),
    "C26": ("化工",),
    "C27": ("医药", "生物医药"),
    "C39": ("电子", "通信设备"),
    "D44": ("热力", "能源"),
    "E47": ("建筑工程", "建设"),
    "E48": ("市政工程", "路桥工程"),
    "E50": ("装饰工程", "装饰"),
    "F51": ("商贸", "贸易"),
    "F52": ("超市", "商店", "商行"),
    "G54": ("运输", "物流"),
    "G58": ("货运代理", "供应链管理"),
    "G60": ("快递",),
    "H61": ("酒店", "宾馆"),
    "H62": ("餐饮", "餐饮管理"),
    "I63": ("通信",),
    "I64": ("网络科技", "互联网科技"),
    "I65": ("科技", "信息技术", "软件"),
    "J66": ("小额贷款",),
    "J67": ("投资管理",),
    "J69": ("金融信息服务",),
    "K70": ("房地产开发", "物业管理"),
    "L71": ("租赁",),
    "L72": ("企业管理", "管理咨询", "文化传媒"),
    "M73": ("技术研究院", "科学研究"),
    "M74": ("工程设计", "检测技术"),
    "M75": ("科技发展", "技术服务"),
    "N77": ("环保科技",),
    "N78": ("园林绿化",),
    "O80": ("家政服务", "养老服务"),
    "O81": ("汽车维修", "家电维修"),
    "P83": ("教育科技", "培训学校"),
    "Q84": ("医疗管理", "健康管理"),
    "Q85": ("社会工作服务",),
    "R86": ("文化出版",),
    "R87": ("影视文化", "影视传媒"),
    "R88": ("文化艺术", "艺术"),
    "R89": ("体育文化", "健身"),
    "R90": ("游乐", "娱乐"),
}


@dataclass(frozen=True)
class Pools:
    """Synthetic vocabularies, indexed by numpy arrays of positions."""

    surnames: np.ndarray  # weighted by Faker's surname frequencies (drawn, so repeats)
    male_given: np.ndarray
    female_given: np.ndarray
    given_chars: np.ndarray  # single characters for compound given names and shop names
    roads: np.ndarray
    brand_words: np.ndarray  # 字号 of enterprises


def _draw(fn, n: int) -> np.ndarray:
    return np.array([fn() for _ in range(n)], dtype=object)


@lru_cache(maxsize=4)
def get_pools(seed: int) -> Pools:
    """Build the pools (~0.1 s); cached per seed so one run builds them once."""
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    surnames = _draw(fake.last_name, 4000)
    male = _draw(fake.first_name_male, 3000)
    female = _draw(fake.first_name_female, 3000)
    chars = np.array(sorted({c for name in (*male, *female) for c in name}), dtype=object)
    rng = np.random.default_rng([seed, 17])
    # Compound given names from two characters: Faker's lists are short.
    compound_m = (
        chars[rng.integers(len(chars), size=1500)] + chars[rng.integers(len(chars), size=1500)]
    )
    compound_f = (
        chars[rng.integers(len(chars), size=1500)] + chars[rng.integers(len(chars), size=1500)]
    )
    roads = np.array(
        list(REAL_ROADS) + sorted({fake.street_name() for _ in range(300)}), dtype=object
    )
    prefixes = sorted({fake.company_prefix() for _ in range(400)})
    pairs = chars[rng.integers(len(chars), size=3000)] + chars[rng.integers(len(chars), size=3000)]
    brands = np.array(sorted(set(prefixes) | set(pairs.tolist())), dtype=object)
    return Pools(
        surnames=surnames,
        male_given=np.concatenate([male, compound_m]),
        female_given=np.concatenate([female, compound_f]),
        given_chars=chars,
        roads=roads,
        brand_words=brands,
    )


def pick(rng: np.random.Generator, pool: np.ndarray, n: int) -> np.ndarray:
    """``n`` values drawn uniformly from a pool (object array)."""
    return pool[rng.integers(len(pool), size=n)]


def weighted(
    rng: np.random.Generator,
    values: list[str] | tuple[str, ...],
    weights: list[float] | tuple[float, ...],
    n: int,
) -> np.ndarray:
    """``n`` values drawn with the given (unnormalised) weights."""
    p = np.asarray(weights, dtype=float)
    return np.array(values, dtype=object)[rng.choice(len(values), size=n, p=p / p.sum())]
