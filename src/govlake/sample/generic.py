"""Rows for any register resource without a bespoke generator, from its register entry alone.

A new department YAML needs no generator code. Each 信息项 takes the first rule that applies:

1. **Key fields** are unique by construction. A key field without a finite domain (an ID, a
   phone, a plain code: the resource's initials and a number, ``SC00000001``) numbers the
   entities; finite key fields (code lists, months, dates, bounded integers) enumerate
   combinations per entity, like a panel: each entity gets up to ``PANEL`` consecutive
   combinations (e.g. monthly reports). Keys that are all finite are a permutation of their
   combinations (rows capped at their count).
2. **base_attribute, not authoritative**: the authority's value for the row's entity when
   the authority's rows of this run hold it (一数一源: no disagreement the record lacks).
3. **From the row's citizen ID** (GB 11643): 性别 (label 性别 or ``vocab:sex``) from the 17th
   digit, a date whose label says 出生 (or name says birth) from digits 7-14.
4. **allowed** (closed list or ``vocab:<name>``): a value of the list.
5. **format**: citizen_id / credit_code from the run's persons / legal entities (so rows join
   base_person / base_legal_entity), new valid ones once those are used up or absent;
   street_code from ``vocab:street``; division_code a Beijing GB/T 2260 code; industry_code a
   ``vocab:industry_division`` code; period a month, complete quarter or complete year of the
   sample window; phone a mobile number.
6. **type**: integer / decimal within min..max, skewed to the low end like counts and amounts
   (0..1000 when unbounded); date in the 20 years before the batch date; month of the sample
   window; boolean 是/否.
7. **string, by label first, then the English name**:
   a code named like another resource's only key field (``school_code`` in a monthly report)
   takes that roster's codes, so the report joins the roster (keys too, before new codes);
   person name (Faker zh_CN) if the label has 姓名 or ends with 人 (法定代表人, 负责人, 联系人),
   or the name ends with ``person_name``, or a personal field's name ends with ``_name``;
   address if the label has 地址, 住址, 住所 or 地点 (in the row's 街道 when it has one);
   organisation name if the label has 名称 or the name ends with ``_name``: 北京市石景山区 + 字号
   + what the label names (学校名称 → …学校; 单位/机构/企业名称 → a company name);
   code if the label ends with 代码/编码/编号/号码/号/码 or the name with _code/_id/_no;
   otherwise a Faker zh_CN sentence.

Nullable non-key fields are empty in ``NULL_SHARE`` of rows. Rows then go through the same
``_Run.emit`` as bespoke ones: defects injected and recorded the same way. A field the
register adds to a resource that has a bespoke generator is filled by the same rules
(``Context.complete``).
"""

from __future__ import annotations

import datetime as dt
import math
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from faker import Faker

from govlake.identifiers import USCC_ALPHABET, division_codes
from govlake.register import FieldFormat, FieldType, InfoItem, Register, Resource, Sensitivity
from govlake.sample.entities import _base31
from govlake.sample.people import MIGRANT_PROVINCES, STREETS
from govlake.sample.pools import INDUSTRY_WORDS, Pools, pick
from govlake.sample.rows import Column, Rows
from govlake.sample.stats import months_before

NULL_SHARE = 0.08
LINK_CAP = 100_000  # rows remembered per linked resource: its first ones (persons and entities
# come in random order, so the first rows are a fair sample)
PANEL = 36  # most key combinations one entity gets (36 monthly reports)
DATE_DAYS = 20 * 365  # non-birth dates: the 20 years before the batch date
FINITE_MAX = 10**7  # a bigger domain is numbered like an unbounded one
RADIX_LIMIT = 2**40  # finite key fields enumerated together (beyond: drawn, uniqueness holds)
SLOT = 10**8  # new identifiers per resource: slot * SLOT + entity, so resources never share
ID_FORMATS = (FieldFormat.citizen_id, FieldFormat.credit_code)
HOME = "110107"
_PRIMES = (7_919, 104_729, 1_299_709, 15_485_863)  # multipliers of the affine permutations


def identity(resource: Resource) -> InfoItem | None:
    """The key field naming the person or legal entity a row is about, if any."""
    return next((f for f in resource.key_fields if f.format in ID_FORMATS), None)


def _salt(*parts: object) -> int:
    return zlib.crc32("/".join(map(str, parts)).encode())


def _coprime(n: int) -> int:
    """A small multiplier coprime with ``n`` (a prime that does not divide it): numpy-safe."""
    return next((p for p in _PRIMES if n % p), 1)


@lru_cache(maxsize=64)
def _golden(n: int) -> int:
    """A multiplier near ``n`` / φ coprime with ``n``: consecutive k land far apart (Python
    ints only; it overflows int64)."""
    a = max(1, int(n * 0.6180339887498949))
    while math.gcd(a, n) != 1:
        a += 1
    return a


# --------------------------------------------------------------------------- links
class Links:
    """The run's persons and legal entities, remembered from the rows it emits (bounded), so
    generic resources can point at them and copy their authoritative values."""

    def __init__(self, register: Register, generic: list[str]):
        authorities = register.authorities()
        self.copies: dict[str, tuple[str, str]] = {}  # base_attribute → (resource, field)
        self.refs: dict[tuple[str, str], str] = {}  # (resource, field) → the resource it names
        wanted: dict[str, set[str]] = defaultdict(set)
        formats: set[FieldFormat] = set()
        rosters = {  # single plain code keys: a field of that name elsewhere refers to them
            r.key_fields[0].name: r.id
            for r in register.resources.values()
            if len(r.key_fields) == 1 and _plain(r.key_fields[0])
        }
        for rid in generic:
            res = register.resource(rid)
            formats |= {f.format for f in res.fields if f.format in ID_FORMATS}
            for f in res.fields:
                if _plain(f) and rosters.get(f.name, rid) != rid:
                    self.refs[(rid, f.name)] = rosters[f.name]
            ident = identity(res)
            for f in res.fields:
                if ident is None or not f.base_attribute or f.authoritative:
                    continue
                auth_rid, auth_item = authorities[f.base_attribute]
                auth_ident = identity(register.resource(auth_rid))
                if auth_rid != rid and auth_ident is not None and auth_ident.format is ident.format:
                    wanted[auth_rid].add(auth_item.name)
                    self.copies[f.base_attribute] = (auth_rid, auth_item.name)
        # the pool of each identifier: the resource keyed by it alone that is the authority for
        # most attributes (the police register for persons, market regulation for entities)
        self.pool_of: dict[FieldFormat, str] = {}
        for fmt in sorted(formats):
            keyed = [
                r
                for r in register.resources.values()
                if len(r.key_fields) == 1 and r.key_fields[0].format is fmt
            ]
            if keyed:
                best = max(keyed, key=lambda r: sum(f.authoritative for f in r.fields))
                self.pool_of[fmt] = best.id
        self.key: dict[str, str] = {}  # the field each remembered resource is looked up by
        for rid in sorted(set(wanted) | set(self.pool_of.values())):
            ident = identity(register.resource(rid))
            assert ident is not None
            self.key[rid] = ident.name
        for rid in sorted(set(self.refs.values())):  # rosters: their only key
            self.key[rid] = register.resource(rid).key_fields[0].name
        self.deps: dict[str, set[str]] = {}  # what a generic resource draws from or copies
        for rid in generic:
            res = register.resource(rid)
            uses = {self.pool_of[f.format] for f in res.fields if f.format in self.pool_of}
            uses |= {self.refs[(rid, f.name)] for f in res.fields if (rid, f.name) in self.refs}
            uses |= {self.copies[f.base_attribute][0] for f in res.fields
                     if f.base_attribute in self.copies and not f.authoritative}  # fmt: skip
            self.deps[rid] = uses - {rid}
        self.ids: dict[str, list[str]] = {rid: [] for rid in self.key}
        self.index: dict[str, dict[str, int]] = {rid: {} for rid in self.key}
        self.columns: dict[str, dict[str, Column]] = {
            rid: {c: [] for c in sorted(wanted.get(rid, ()))} for rid in self.key
        }

    def capture(self, rid: str, rows: Rows) -> None:
        """Remember the clean rows of a linked resource (its first ``LINK_CAP``)."""
        if rid not in self.key:
            return
        ids, index, cols = self.ids[rid], self.index[rid], self.columns[rid]
        room = LINK_CAP - len(ids)
        if room <= 0 or not len(rows):
            return
        for i, value in enumerate(rows.columns[self.key[rid]][:room]):
            if value is None or value in index:
                continue
            index[value] = len(ids)
            ids.append(value)
            for name, column in cols.items():
                column.append(rows.columns[name][i])

    def pool(self, rid: str, item: InfoItem) -> list[str]:
        """Values field ``item`` of resource ``rid`` draws from: the run's persons or entities
        for an identifier, the roster's codes for a field named like its key; [] if none."""
        source = self.pool_of.get(item.format) if item.format else self.refs.get((rid, item.name))
        return self.ids[source] if source else []

    def authority_values(self, attribute: str, keys: Column) -> tuple[Column, np.ndarray]:
        """The authority's value of ``attribute`` for each key; found: where it has one."""
        rid, name = self.copies[attribute]
        index, column = self.index[rid], self.columns[rid][name]
        at = [index.get(k, -1) if k is not None else -1 for k in keys]
        return [column[i] if i >= 0 else None for i in at], np.array(at) >= 0


def order(register: Register, generic: list[str], links: Links | None) -> list[str]:
    """Generation order: a resource after the generic ones it draws from or copies (a cycle
    is broken at the first resource), authorities first, then register order."""
    rank = {rid: i for i, rid in enumerate(register.resources)}

    def first(rid: str) -> tuple[bool, int]:
        return not any(f.authoritative for f in register.resource(rid).fields), rank[rid]

    todo = sorted(generic, key=first)
    deps = links.deps if links else {}
    waiting, out = set(generic), []
    while todo:
        ready = next((rid for rid in todo if not deps.get(rid, set()) & waiting), todo[0])
        todo.remove(ready)
        waiting.discard(ready)
        out.append(ready)
    return out


def _plain(item: InfoItem) -> bool:
    """A free-text code: no format, no list, a string."""
    return item.format is None and item.type is FieldType.string and not item.allowed


# --------------------------------------------------------------------------- value sources
@lru_cache(maxsize=1)
def _fresh_divisions() -> tuple[str, ...]:
    """County codes of provinces the generated population never uses: a new ID never equals
    a person's."""
    return tuple(
        sorted(
            c
            for c in division_codes()
            if c[:2] not in MIGRANT_PROVINCES and c[:2] != "11" and c[4:] != "00"
        )
    )


@lru_cache(maxsize=1)
def _beijing_divisions() -> tuple[str, ...]:
    return tuple(sorted(c for c in division_codes() if c.startswith("11")))


BIRTH_DAYS = 62 * 365  # new IDs: born 18 to 80 years before the batch date
USCC_SPACE = 31**7


def fresh_citizen_ids(ks: list[int], batch_date: dt.date) -> Column:
    """The ``k``-th new citizen IDs: a bijection of k, so distinct k give distinct IDs; born
    18 to 80 years before the batch date, in a province the population does not use."""
    divisions = np.array(_fresh_divisions(), dtype=object)
    space = len(divisions) * BIRTH_DAYS * 1000
    a = _golden(space)
    m = np.array([(a * k + 12_345) % space for k in ks], dtype=np.int64)
    m, d = np.divmod(m, len(divisions))
    m, day = np.divmod(m, BIRTH_DAYS)
    male, seq = np.divmod(m, 500)
    latest = np.datetime64(batch_date.replace(year=batch_date.year - 18, day=1), "D")
    born = np.char.replace(np.datetime_as_string(latest - day).astype(str), "-", "")
    order = (seq * 2 + male).astype(str)  # 顺序码: odd for men (GB 11643)
    bodies = divisions[d] + born.astype(object) + np.char.zfill(order, 3).astype(object)
    return _with_check(bodies.tolist(), "0123456789", _CID_WEIGHTS, 11, "10X98765432")


def fresh_credit_codes(ks: list[int]) -> Column:
    """The ``k``-th new codes of 事业单位 (registry 12) of the district: a bijection of k; the
    "MB" 主体标识码 never occurs among the generated legal entities and institutions."""
    a = _golden(USCC_SPACE)
    bodies = [f"12{HOME}MB{_base31((a * k + 54_321) % USCC_SPACE, 7)}" for k in ks]
    return _with_check(bodies, USCC_ALPHABET, _USCC_WEIGHTS, 31, _USCC_CHECK)


_CID_WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)])  # GB 11643, ISO 7064 MOD 11-2
_USCC_WEIGHTS = np.array([pow(3, i, 31) for i in range(17)])  # GB 32100
_USCC_CHECK = [USCC_ALPHABET[(31 - r) % 31] for r in range(31)]


def _with_check(
    bodies: list[str], alphabet: str, weights: np.ndarray, modulus: int, check: str | list[str]
) -> Column:
    """Bodies (17 characters) with their check character, computed for all at once: stdnum's
    per-code call was most of the time of a generic resource of new codes (the tests check
    the results with stdnum)."""
    if not bodies:
        return []
    value = np.zeros(256, dtype=np.int64)
    value[np.frombuffer(alphabet.encode(), dtype=np.uint8)] = np.arange(len(alphabet))
    chars = np.frombuffer("".join(bodies).encode("ascii"), dtype=np.uint8).reshape(-1, 17)
    rest = (value[chars] @ weights) % modulus
    return [b + check[r] for b, r in zip(bodies, rest.tolist(), strict=True)]


def _phone(m: np.ndarray) -> Column:
    """Mobile numbers 1[3-9]… from integers (distinct integers < 7e9 → distinct numbers)."""
    return [f"1{3 + v % 7}{v // 7 % 10**9:09d}" for v in m.tolist()]


@lru_cache(maxsize=4)
def _sentences(seed: int) -> np.ndarray:
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    return np.array(
        [fake.sentence(nb_words=6).replace(".", "。") for _ in range(500)], dtype=object
    )


def _periods(window: list[tuple[int, int]]) -> list[str]:
    """The window's months, and its complete quarters and years."""
    months = [f"{y}-{m:02d}" for y, m in window]
    per_quarter = Counter((y, (m - 1) // 3 + 1) for y, m in window)
    per_year = Counter(y for y, _ in window)
    quarters = [f"{y}Q{q}" for (y, q), n in sorted(per_quarter.items()) if n == 3]
    return months + quarters + [str(y) for y, n in sorted(per_year.items()) if n == 12]


@dataclass(frozen=True)
class Domain:
    """A key field's values: ``size`` of them (None: unbounded), ``value(index)`` each."""

    size: int | None
    value: Callable[[np.ndarray], Column]


def string_kind(item: InfoItem) -> str:
    """person / address / organisation / code / text: the rule for a free string field."""
    label, name = item.label, item.name
    if (
        "姓名" in label
        or label.endswith("人")
        or name.endswith("person_name")
        or (item.sensitivity is Sensitivity.personal and name.endswith("_name"))
    ):
        return "person"
    if any(w in label for w in ("地址", "住址", "住所", "地点")) or name.endswith("address"):
        return "address"
    if "名称" in label or name.endswith("_name") or name == "name":
        return "organisation"
    if label.endswith(("代码", "编码", "编号", "号码", "号", "码")) or name.endswith(
        ("_code", "_id", "_no", "_number")
    ):
        return "code"
    return "text"


COMPANY_STEMS = ("", "单位", "机构", "企业", "公司", "法人", "纳税人", "用人单位", "组织")


# --------------------------------------------------------------------------- one resource
def _initials(resource_id: str) -> str:
    """Prefix of a resource's codes: initials of its id (school_enrolment → SE, school → SC)."""
    letters = "".join(p[0] for p in resource_id.split("_")).upper()
    return letters if len(letters) > 1 else resource_id[:2].upper()


@dataclass
class Context:
    """What generic rows depend on besides their resource: one per run."""

    register: Register
    seed: int
    batch_date: dt.date
    months: int  # the sample window (months, quarters and years before the batch month)
    pools: Pools
    links: Links | None
    completers: dict[str, GenericResource] = field(default_factory=dict)

    def complete(self, resource: Resource, rows: Rows) -> Rows:
        """Bespoke rows with the fields their generator does not know (a field the register
        added later) filled by the generic rules; rows that have every field as they are."""
        if all(f.name in rows.columns for f in resource.fields):
            return rows
        if resource.id not in self.completers:
            slot = len(self.register.resources) + list(self.register.resources).index(resource.id)
            self.completers[resource.id] = GenericResource(resource, self, slot)
        return self.completers[resource.id].fill(rows)


class GenericResource:
    """Rows of one resource, chunk by chunk; only the key enumeration's position is kept."""

    def __init__(self, resource: Resource, ctx: Context, slot: int):
        register = ctx.register
        self.res, self.register, self.seed, self.slot = resource, register, ctx.seed, slot
        self.batch_date, self.pools, self.links = ctx.batch_date, ctx.pools, ctx.links
        self.window = months_before(ctx.batch_date, ctx.months)
        self.streets = list(register.vocab.get("street") or STREETS)
        self.street_names = dict(register.vocab.get("street") or {})
        self.industries = list(register.vocab.get("industry_division") or "ABCDEFGHIJKLMNOPQRST")
        words = [w for ws in INDUSTRY_WORDS.values() for w in ws]
        self.industry_words = np.array(sorted(set(words)), dtype=object)
        same = [r for r in register.resources if _initials(r) == _initials(resource.id)]
        number = same.index(resource.id)  # resources with the same initials: SC, SC2, …
        self.prefix = _initials(resource.id) + (str(number + 1) if number else "")
        self.chunks = 0
        self.salt = _salt(ctx.seed, resource.id)
        self._plan()

    # ------------------------------------------------------------------ keys
    def _domain(self, f: InfoItem) -> Domain:
        allowed = self.register.allowed_values(f)
        if allowed:
            return self._listed(allowed)
        if f.format in ID_FORMATS:
            return Domain(None, lambda e: self._identities(f, e))
        if f.format is FieldFormat.street_code:
            return self._listed(self.streets)
        if f.format is FieldFormat.division_code:
            return self._listed(list(_beijing_divisions()))
        if f.format is FieldFormat.industry_code:
            return self._listed(self.industries)
        if f.format is FieldFormat.period:
            return self._listed(_periods(self.window))
        if f.format is FieldFormat.phone:
            space = 7 * 10**9
            a, b = _coprime(space), self.salt % space
            return Domain(None, lambda e: _phone((a * e + b) % space))
        if f.type is FieldType.month:
            return self._listed([f"{y}-{m:02d}" for y, m in self.window])
        if f.type is FieldType.boolean:
            return self._listed(["是", "否"])
        if f.type is FieldType.date:
            last = np.datetime64(self.batch_date, "D")
            return Domain(
                DATE_DAYS,
                lambda i: np.datetime_as_string(last - i.astype("timedelta64[D]")).tolist(),
            )
        if f.type in (FieldType.integer, FieldType.decimal):
            cents = 100 if f.type is FieldType.decimal else 1
            if f.min is not None:
                lo = int(np.ceil(f.min * cents))
            else:  # numbered from 1 (or up to the maximum, if that is lower)
                lo = min(cents, int(np.floor(f.max * cents)) if f.max is not None else cents)
            size = None
            if f.max is not None:
                size = int(np.floor(f.max * cents)) - lo + 1
                size = size if size <= FINITE_MAX else None

            def number(i: np.ndarray) -> Column:
                v = (lo + i).tolist()
                return [f"{x / 100:.2f}" for x in v] if cents == 100 else [str(x) for x in v]

            return Domain(size, number)
        return Domain(None, lambda e: self._identities(f, e))

    def _listed(self, values: list[str]) -> Domain:
        arr = np.array(values, dtype=object)
        return Domain(len(arr), lambda i: arr[i].tolist())

    def _plan(self) -> None:
        keys = self.res.key_fields
        self.domains = {f.name: self._domain(f) for f in keys}
        self.lead = next((f for f in keys if self.domains[f.name].size is None), None)
        self.radix: list[InfoItem] = []
        self.drawn: list[InfoItem] = []  # more key fields: uniqueness already holds
        combos = 1
        for f in keys:
            if f is self.lead:
                continue
            size = self.domains[f.name].size
            if size is not None and combos * size <= RADIX_LIMIT:
                self.radix.append(f)
                combos *= size
            else:
                self.drawn.append(f)
        self.combos = combos
        self.per = min(combos, PANEL)
        self.least = max(1, -(-self.per // 2))
        self.entity, self.done, self.made = 0, 0, 0

    def capacity(self) -> int | None:
        """Most rows the key allows (None: no limit)."""
        return None if self.lead is not None else self.combos

    def _count(self, e: np.ndarray) -> np.ndarray:
        """Key combinations entity ``e`` gets: ``least``..``per``."""
        span = self.per - self.least + 1
        return self.least + (e * 40_503 + self.salt) % span

    def _keys(self, n: int, rng: np.random.Generator) -> dict[str, Column]:
        """The next ``n`` rows' key values."""
        out: dict[str, Column] = {}
        if self.lead is None:
            i = np.arange(self.made, self.made + n, dtype=np.int64)
            combo = (_coprime(self.combos) * i + self.salt) % self.combos
        else:
            first = self.entity + np.arange(n + 1, dtype=np.int64)
            counts = self._count(first)
            counts[0] -= self.done
            ends = np.cumsum(counts)
            last = int(np.searchsorted(ends, n))  # the entity the chunk ends in
            entity = np.repeat(first[: last + 1], counts[: last + 1])[:n]
            starts = np.repeat(ends[: last + 1] - counts[: last + 1], counts[: last + 1])[:n]
            j = np.arange(n) - starts
            j[entity == self.entity] += self.done
            done_last = int((entity == first[last]).sum()) + (self.done if last == 0 else 0)
            if done_last == self._count(first[last : last + 1])[0]:
                self.entity, self.done = int(first[last]) + 1, 0
            else:
                self.entity, self.done = int(first[last]), done_last
            offset = (entity * 2_654_435_761 + self.salt) % self.combos
            combo = (j + offset) % self.combos
            out[self.lead.name] = self.domains[self.lead.name].value(entity)
        self.made += n
        for f in self.radix:
            size = self.domains[f.name].size
            assert size is not None
            combo, digit = np.divmod(combo, size)
            out[f.name] = self.domains[f.name].value(digit)
        for f in self.drawn:
            out[f.name] = self._value(f, n, rng, out)
        return out

    def _identities(self, f: InfoItem, e: np.ndarray) -> Column:
        """Distinct values for distinct entity numbers: the run's (persons, entities, a
        roster's codes) first, then new ones (codes: this resource's prefix, never a roster's)."""
        pool = self.links.pool(self.res.id, f) if self.links else []
        p = len(pool)
        a, b = _golden(max(p, 1)), self.salt % max(p, 1)
        out: Column = []
        new: list[int] = []
        for x in e.tolist():
            if x < p:
                out.append(pool[(a * x + b) % p])
            else:
                out.append(None)
                new.append(x - p)
        if not new:
            return out
        if f.format is FieldFormat.citizen_id:
            made = fresh_citizen_ids([self.slot * SLOT + x for x in new], self.batch_date)
        elif f.format is FieldFormat.credit_code:
            made = fresh_credit_codes([self.slot * SLOT + x for x in new])
        else:
            made = [f"{self.prefix}{x + 1:08d}" for x in new]
        it = iter(made)
        return [v if v is not None else next(it) for v in out]

    # ------------------------------------------------------------------ other fields
    def _value(
        self, f: InfoItem, n: int, rng: np.random.Generator, row: dict[str, Column]
    ) -> Column:
        derived = self._derived(f, row)
        if derived is not None:
            return derived
        if f.name == self.res.delivery.operation:  # a first delivery inserts every key (新增)
            return [self.register.operation_words("insert")[0]] * n
        allowed = self.register.allowed_values(f)
        if allowed:
            return pick(rng, np.array(allowed, dtype=object), n).tolist()
        pool = self.links.pool(self.res.id, f) if self.links else []
        if pool:
            return [pool[i] for i in rng.integers(len(pool), size=n).tolist()]
        if f.format in ID_FORMATS:
            k = rng.integers(0, SLOT, size=n).tolist()
            if f.format is FieldFormat.citizen_id:
                return fresh_citizen_ids(k, self.batch_date)
            return fresh_credit_codes(k)
        if f.format is FieldFormat.phone:
            return _phone(rng.integers(0, 7 * 10**9, size=n))
        if f.format is not None or f.type in (FieldType.month, FieldType.boolean):
            domain = self._domain(f)  # a code list, periods, months or 是/否
            assert domain.size is not None
            return domain.value(rng.integers(domain.size, size=n))
        if f.type in (FieldType.integer, FieldType.decimal):
            return self._number(f, n, rng)
        if f.type is FieldType.date:
            last = np.datetime64(self.batch_date, "D")
            days = rng.integers(0, DATE_DAYS, size=n).astype("timedelta64[D]")
            return np.datetime_as_string(last - days).tolist()
        return self._text(f, n, rng)

    def _derived(self, f: InfoItem, row: dict[str, Column]) -> Column | None:
        """Sex and birth date from the row's citizen ID (rule 3), or None."""
        cid = next((g for g in self.res.fields if g.format is FieldFormat.citizen_id), None)
        if cid is None or cid.name not in row or f is cid:
            return None
        ids = row[cid.name]
        allowed = self.register.allowed_values(f)
        sexes = f.allowed == ["vocab:sex"] or "性别" in f.label
        if sexes and f.type is FieldType.string and (not allowed or {"男", "女"} <= set(allowed)):
            return [None if v is None else ("男" if int(v[16]) % 2 else "女") for v in ids]
        if f.type is FieldType.date and ("出生" in f.label or "birth" in f.name):
            return [None if v is None else f"{v[6:10]}-{v[10:12]}-{v[12:14]}" for v in ids]
        return None

    def _number(self, f: InfoItem, n: int, rng: np.random.Generator) -> Column:
        cents = 100 if f.type is FieldType.decimal else 1
        if f.min is not None:
            lo = int(np.ceil(f.min * cents))
        else:
            lo = 0 if f.max is None or f.max >= 0 else int(np.floor(f.max * cents)) - 1000 * cents
        hi = int(np.floor(f.max * cents)) if f.max is not None else lo + 1000 * cents
        v = lo + np.floor((hi - lo + 1) * rng.random(n) ** 2).astype(np.int64)
        v = np.minimum(v, hi).tolist()
        return [f"{x / 100:.2f}" for x in v] if cents == 100 else [str(x) for x in v]

    def _text(self, f: InfoItem, n: int, rng: np.random.Generator) -> Column:
        kind = string_kind(f)
        pools = self.pools
        if kind == "person":
            male = rng.random(n) < 0.5
            given = np.where(male, pick(rng, pools.male_given, n), pick(rng, pools.female_given, n))
            return (pick(rng, pools.surnames, n) + given).tolist()
        if kind == "organisation":
            brand = pick(rng, pools.brand_words, n)
            stem = f.label.replace("名称", "")
            if stem in COMPANY_STEMS:
                word = pick(rng, self.industry_words, n)
                return ("北京" + brand + word + "有限公司").tolist()
            return ("北京市石景山区" + brand + stem).tolist()
        if kind == "code":
            digits = rng.integers(0, 10**10, size=n).tolist()
            return [f"{self.prefix}{d:010d}" for d in digits]
        if kind == "address":
            return [None] * n  # filled once the row's 街道 is known (``_addresses``)
        return pick(rng, _sentences(self.seed), n).tolist()

    def _addresses(self, n: int, rng: np.random.Generator, row: dict[str, Column]) -> Column:
        street_field = next(
            (
                g.name
                for g in self.res.fields
                if g.format is FieldFormat.street_code or g.allowed == ["vocab:street"]
            ),
            None,
        )
        streets = row[street_field] if street_field else [None] * n
        drawn = pick(rng, np.array(self.streets, dtype=object), n).tolist()
        road = pick(rng, self.pools.roads, n).tolist()
        no = rng.integers(1, 300, size=n).tolist()
        names = self.street_names
        return [
            f"北京市石景山区{names.get(s or d, '')}{r}{a}号"
            for s, d, r, a in zip(streets, drawn, road, no, strict=True)
        ]

    # ------------------------------------------------------------------ chunks
    def chunk(self, n: int) -> Rows:
        """The next ``n`` rows (fewer if the key's combinations run out)."""
        cap = self.capacity()
        if cap is not None:
            n = max(0, min(n, cap - self.made))
        rng = np.random.default_rng([self.seed, 601, self.salt, self.chunks])
        self.chunks += 1
        row = self._keys(n, rng)
        fields = self.res.fields
        ids_first = sorted(
            (f for f in fields if f.name not in row), key=lambda f: f.format not in ID_FORMATS
        )
        later: list[InfoItem] = []
        for f in ids_first:
            if self._is_address(f):
                later.append(f)  # after the row's 街道
                continue
            row[f.name] = self._value(f, n, rng, row)
        for f in later:
            row[f.name] = self._addresses(n, rng, row)
        self._copy_authoritative(row)
        self._empty_some(fields, row, n, rng)
        return Rows({f.name: row[f.name] for f in fields})

    def _is_address(self, f: InfoItem) -> bool:
        plain = f.format is None and f.type is FieldType.string
        return plain and not self.register.allowed_values(f) and string_kind(f) == "address"

    def _copy_authoritative(self, row: dict[str, Column]) -> None:
        """Rule 2: a non-authoritative base attribute takes the authority's value."""
        ident = identity(self.res)
        if self.links is None or ident is None:
            return
        for f in self.res.fields:
            if f.base_attribute in self.links.copies and not f.authoritative:
                values, found = self.links.authority_values(f.base_attribute, row[ident.name])
                column = row[f.name]
                for i in np.flatnonzero(found).tolist():
                    column[i] = values[i]

    def fill(self, rows: Rows) -> Rows:
        """``rows`` with the fields they lack generated (no base attribute is copied: the
        bespoke fields stay exactly as their generator made them, disagreements included)."""
        n = len(rows)
        rng = np.random.default_rng([self.seed, 602, self.salt, self.chunks])
        self.chunks += 1
        row = dict(rows.columns)
        new = [f for f in self.res.fields if f.name not in row]
        for f in sorted(new, key=self._is_address):  # addresses after the row's 街道
            address = self._is_address(f)
            row[f.name] = self._addresses(n, rng, row) if address else self._value(f, n, rng, row)
        self._empty_some(new, row, n, rng)
        return Rows(row, rows.protected, rows.entity)

    def _empty_some(
        self, fields: list[InfoItem], row: dict[str, Column], n: int, rng: np.random.Generator
    ) -> None:
        """Nullable non-key fields empty in ``NULL_SHARE`` of rows."""
        for f in fields:
            if f.nullable and not f.key:
                column = row[f.name]
                for i in np.flatnonzero(rng.random(n) < NULL_SHARE).tolist():
                    column[i] = None

    def rows(self, total: int, chunk: int) -> Iterator[Rows]:
        """``total`` rows (fewer if the key allows fewer) in chunks of ``chunk``; at least one
        chunk, so an empty resource still gets its file."""
        cap = self.capacity()
        total = total if cap is None else min(total, cap)
        first = True
        while first or self.made < total:
            first = False
            yield self.chunk(min(chunk, total - self.made))
