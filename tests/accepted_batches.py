# ruff: noqa: E501 -- dense synthetic records read better one per line
"""Synthetic accepted-zone batches for the dbt tests and the build benchmark (test data, not
part of the product: the lake's own data comes from ``govlake.sample`` through ingest and gate).

Writes what the quality gate accepts (``accepted/<resource>/batch_date=<d>/part-<batch>.parquet``:
register fields as delivered text, ``<name>_key`` pseudonyms, audit columns) with the mess
departments really send (full-width digits, U+3000 padding, every date pattern of
``govlake.formats``), plus a few invalid identifiers staging must drop, and injected
disagreements between departments recorded like ``govlake.sample`` does
(``_sample/<date>/disagreements.parquet``). Straight into the accepted zone, without ingest and
gate, so a dbt test or the build benchmark at district scale costs only the build itself.
``bench/build.py`` imports it from here (it puts ``tests/`` on its path).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from govlake.formats import DATE_FORMATS, MONTH_FORMATS
from govlake.identifiers import make_citizen_id, make_credit_code, normalise
from govlake.ingest.pseudonym import hmac_hex, normalise_array
from govlake.lake import Lake, atomic_path
from govlake.register import Register

KEY_TEXT = "test-key-not-secret"  # the pseudonym key of the dbt tests (GOVLAKE_HMAC_KEY)
SCALES = {"tiny": (1500, 120), "small": (5_000, 800), "district": (567_851, 30_000)}
STREETS = ["110107001", "110107002", "110107003", "110107004", "110107005", "110107006",
           "110107009", "110107010", "110107011"]  # fmt: skip
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志红玉梅鹏飞鑫宇浩然子涵欣怡"
INDUSTRIES = ["C39", "E47", "F51", "F52", "H61", "H62", "I64", "I65", "J66", "K70", "L72",
              "M73", "M74", "O80", "P83", "Q84", "R88"]  # fmt: skip
FULLWIDTH = str.maketrans({chr(0x30 + i): chr(0xFF10 + i) for i in range(10)})


@dataclass
class FixtureResult:
    batch_date: dt.date
    rows: dict[str, int] = field(default_factory=dict)
    disagreements: int = 0
    invalid_ids: int = 0


class _Mess:
    """Delivery noise that cleaning must undo (never changes the cleaned value)."""

    def __init__(self, rng: random.Random, rate: float):
        self.rng, self.rate = rng, rate

    def code(self, value: str) -> str:
        r = self.rng.random()
        if r < self.rate:
            return value.translate(FULLWIDTH)
        if r < 2 * self.rate:
            return f"\u3000{value} "
        return value

    def text(self, value: str) -> str:
        return f" {value}\u3000" if self.rng.random() < self.rate else value

    def date(self, value: dt.date) -> str:
        if self.rng.random() < 4 * self.rate:
            return value.strftime(self.rng.choice(DATE_FORMATS[1:]))
        return value.isoformat()

    def month(self, year: int, month: int) -> str:
        d = dt.date(year, month, 1)
        if self.rng.random() < 4 * self.rate:
            return d.strftime(self.rng.choice(MONTH_FORMATS[1:]))
        return d.strftime("%Y-%m")


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))


def _other(rng: random.Random, choices: list[str], current: str) -> str:
    return rng.choice([c for c in choices if c != current])


def generate(
    lake_root: Path,
    register: Register,
    *,
    scale: str = "tiny",
    seed: int = 42,
    batch_date: dt.date = dt.date(2026, 11, 2),
    key: bytes,
    mess_rate: float = 0.03,
    only: set[str] | None = None,
) -> FixtureResult:
    """Write one batch of every resource (or of ``only``) into the accepted zone."""
    rng = random.Random(f"{seed}-{batch_date}")
    mess = _Mess(rng, mess_rate)
    n_persons, n_entities = SCALES[scale]
    lake = Lake(lake_root)
    result = FixtureResult(batch_date)
    disagreements: list[dict] = []
    rows: dict[str, list[dict]] = {r: [] for r in register.resources}
    ref = dt.date(batch_date.year, 1, 1)

    # 人口: persons in households, from the police extract
    persons = []
    hh_seq = 0
    while len(persons) < n_persons:
        hh_seq += 1
        hid = f"HH{seed % 100:02d}{hh_seq:08d}"
        street = rng.choice(STREETS)
        size = min(rng.choice([1, 1, 2, 2, 3, 3, 4, 5]), n_persons - len(persons))
        for m in range(size):
            born = ref - dt.timedelta(days=rng.randrange(0, 95 * 365))
            male = rng.random() < 0.5
            cid = make_citizen_id("110107", born, len(persons), male)
            persons.append(
                {"cid": cid, "name": _name(rng), "sex": "男" if male else "女", "born": born,
                 "hid": hid, "street": street, "head": m == 0, "size": size}
            )  # fmt: skip
    for p in persons:
        rows["registered_person"].append(
            {
                "citizen_id": mess.code(p["cid"]),
                "person_name": mess.text(p["name"]),
                "sex": p["sex"],
                "birth_date": mess.date(p["born"]),
                "ethnicity": "汉族" if rng.random() < 0.95 else rng.choice(["回族", "满族", "蒙古族"]),
                "household_id": p["hid"],
                "street_code": mess.code(p["street"]),
                "registration_type": rng.choice(["户籍", "户籍", "常住", "流动"]),
                "move_in_date": mess.date(p["born"] + dt.timedelta(days=rng.randrange(0, 3650)))
                if rng.random() < 0.4 else None,
            }
        )  # fmt: skip
        if p["head"]:
            rows["household"].append(
                {"household_id": p["hid"], "head_citizen_id": p["cid"],
                 "household_type": "家庭户" if rng.random() < 0.97 else "集体户",
                 "address": f"石景山区{rng.randint(1, 300)}号院{rng.randint(101, 2600)}室", "street_code": p["street"],
                 "member_count": str(p["size"])}
            )  # fmt: skip
    # a duplicate delivery of the same person (same key twice in one batch)
    rows["registered_person"].append(dict(rows["registered_person"][0]))
    # invalid IDs (wrong check character, wrong length): staging must not count them
    for i in range(max(2, n_persons // 200)):
        bad = persons[i]["cid"]
        bad = bad[:17] + ("0" if bad[17] != "0" else "1")
        rows["registered_person"].append(
            dict(rows["registered_person"][i], citizen_id=bad if i % 2 else bad[:16])
        )
        result.invalid_ids += 1

    # 法人: entities in market regulation / tax / statistics (多证合一)
    entities = []
    for i in range(n_entities):
        code = make_credit_code("91", "110107", f"{seed % 1000:03d}{i:06d}")
        entities.append(
            {"code": code, "name": f"北京{_name(rng)}{rng.choice(['科技', '商贸', '餐饮'])}有限公司",
             "industry": rng.choice(INDUSTRIES), "street": rng.choice(STREETS),
             "est": ref - dt.timedelta(days=rng.randrange(0, 20 * 365)),
             "in_market": i % 10 != 9, "in_tax": i % 5 != 4, "in_stats": i % 3 != 2}
        )  # fmt: skip

    def disagree(attr: str, entity_key: str, resource: str, fieldname: str, auth, other) -> None:
        disagreements.append(
            {"base_attribute": attr, "entity_key": entity_key, "resource": resource,
             "field": fieldname, "authoritative_value": str(auth), "delivered_value": str(other)}
        )  # fmt: skip

    for i, e in enumerate(entities):
        if e["in_market"]:
            rows["enterprise_registration"].append(
                {"credit_code": mess.code(e["code"]), "entity_name": mess.text(e["name"]),
                 "entity_type": rng.choice(["有限责任公司", "股份有限公司", "个体工商户"]),
                 "legal_representative": _name(rng),
                 "registered_capital": str(rng.randint(10, 5000)),
                 "established_date": mess.date(e["est"]),
                 "status": rng.choice(["存续", "在业", "在业", "注销"]),
                 "industry_code": e["industry"], "address": f"石景山区{rng.randint(1, 999)}号",
                 "street_code": mess.code(e["street"])}
            )  # fmt: skip
        if e["in_tax"]:
            name = e["name"]
            if e["in_market"] and i % 17 == 3:
                name = name.replace("有限公司", "公司")
                disagree("legal_entity.name", e["code"], "tax_registration", "taxpayer_name",
                         e["name"], name)  # fmt: skip
            rows["tax_registration"].append(
                {"credit_code": e["code"], "taxpayer_name": name,
                 "taxpayer_type": rng.choice(["一般纳税人", "小规模纳税人"]),
                 "tax_status": "正常", "credit_band": rng.choice(["A", "B", "M"]),
                 "registered_date": mess.date(e["est"] + dt.timedelta(days=30))}
            )  # fmt: skip
        if e["in_stats"]:
            name, industry, street = e["name"], e["industry"], e["street"]
            if e["in_market"] and i % 13 == 5:
                name = "北京" + name
                disagree("legal_entity.name", e["code"], "statistical_unit", "unit_name",
                         e["name"], name)  # fmt: skip
            if e["in_market"] and i % 11 == 7:  # stats is authoritative for industry
                industry = _other(rng, INDUSTRIES, e["industry"])
                disagree("legal_entity.industry", e["code"], "enterprise_registration",
                         "industry_code", industry, e["industry"])  # fmt: skip
            if e["in_market"] and i % 19 == 2:
                street = _other(rng, STREETS, e["street"])
                disagree("legal_entity.street", e["code"], "statistical_unit", "street_code",
                         e["street"], street)  # fmt: skip
            rows["statistical_unit"].append(
                {"credit_code": e["code"], "unit_name": name, "industry_code": industry,
                 "size_class": rng.choice(["小型", "微型", "中型"]),
                 "employees": str(rng.randint(1, 500)), "street_code": street}
            )  # fmt: skip

    # persons in hrss and civil affairs
    employers = [e["code"] for e in entities]
    for p in persons:
        age = (ref - p["born"]).days // 365
        if 18 <= age < 75 and rng.random() < 0.6:
            rows["social_insurance_enrolment"].append(
                {"citizen_id": p["cid"],
                 "employment_status": "退休" if age >= 60 else rng.choice(["在职", "灵活就业", "失业登记"]),
                 "employer_credit_code": rng.choice(employers) if age < 60 else None,
                 "insurance_types": "养老;医疗", "enrolled_since": mess.date(p["born"] + dt.timedelta(days=6600))}
            )  # fmt: skip
    for i, p in enumerate(persons):
        age = (ref - p["born"]).days // 365
        if age >= 80:
            name, street = p["name"], p["street"]
            if i % 7 == 3:
                name = name + "某"
                disagree("person.name", p["cid"], "elderly_care_benefit", "person_name",
                         p["name"], name)  # fmt: skip
            if i % 5 == 1:
                street = _other(rng, STREETS, p["street"])
                disagree("person.street", p["cid"], "elderly_care_benefit", "street_code",
                         p["street"], street)  # fmt: skip
            rows["elderly_care_benefit"].append(
                {"citizen_id": p["cid"], "person_name": name, "benefit_type": "高龄津贴",
                 "monthly_amount": "100", "start_date": mess.date(p["born"] + dt.timedelta(days=29220)),
                 "street_code": street}
            )  # fmt: skip
        if rng.random() < 0.03:
            rows["disability_benefit"].append(
                {"citizen_id": p["cid"], "disability_category": rng.choice(["肢体", "视力", "听力"]),
                 "disability_grade": rng.choice(["一级", "二级", "三级"]),
                 "benefit_type": "困难残疾人生活补贴", "monthly_amount": "300",
                 "start_date": mess.date(dt.date(2020, 1, 1))}
            )  # fmt: skip

    # 宏观经济: monthly/quarterly/yearly indicators for three years, some revised
    years = range(batch_date.year - 3, batch_date.year)
    indicators = {"A01": ("地区生产总值", "亿元"), "B01": ("社会消费品零售总额", "亿元"),
                  "C01": ("固定资产投资额", "亿元"), "D01": ("一般公共预算收入", "亿元")}  # fmt: skip
    for code, (name, unit) in indicators.items():
        base = rng.uniform(50, 500)
        for y in years:
            growth = 1 + 0.05 * (y - years[0])
            periods = [(f"{y}", "年", 1.0)] + [(f"{y}Q{q}", "季", 0.25) for q in range(1, 5)]
            periods += [(mess.month(y, m), "月", 1 / 12) for m in range(1, 13)]
            for period, ptype, share in periods:
                value = round(base * growth * share, 2)
                rows["economic_indicator"].append(
                    {"indicator_code": code, "indicator_name": name, "unit": unit, "period": period,
                     "period_type": ptype, "region_code": "110107", "value": str(value), "revision": "0"}
                )  # fmt: skip
                if ptype == "年" and y == years[-1]:
                    rows["economic_indicator"].append(
                        dict(rows["economic_indicator"][-1], value=str(round(value * 1.01, 2)), revision="1")
                    )  # fmt: skip

    # health and tourism themes
    n_inst = max(8, n_persons // 2000)
    for i in range(n_inst):
        code = make_credit_code("12", "110107", f"{seed % 1000:03d}{i:06d}")
        rows["medical_institution"].append(
            {"institution_code": code, "institution_name": f"石景山区第{i + 1}医疗机构",
             "institution_type": rng.choice(["综合医院", "社区卫生服务中心", "诊所"]),
             "level": rng.choice(["三级", "二级", "一级", "未定级"]), "beds": str(rng.randint(0, 800)),
             "staff": str(rng.randint(5, 1500)), "street_code": mess.code(rng.choice(STREETS))}
        )  # fmt: skip
        for y in (batch_date.year - 2, batch_date.year - 1):
            for m in range(1, 13):
                rows["medical_service_volume"].append(
                    {"institution_code": code, "month": mess.month(y, m),
                     "outpatient_visits": str(rng.randint(100, 20000)),
                     "inpatient_discharges": str(rng.randint(0, 800)), "bed_days": str(rng.randint(0, 9000))}
                )  # fmt: skip
    spots = [("S001", "八大处公园", "AAAA"), ("S002", "石景山游乐园", "AAAA"),
             ("S003", "法海寺", "AAA"), ("S004", "首钢园", "AAA"), ("S005", "模式口历史文化街区", "AAA")]  # fmt: skip
    for code, name, level in spots:
        rows["scenic_spot"].append(
            {"spot_code": code, "spot_name": name, "a_level": level,
             "max_capacity": str(rng.randint(5000, 50000)), "street_code": rng.choice(STREETS)}
        )  # fmt: skip
        for y in (batch_date.year - 2, batch_date.year - 1):
            for m in range(1, 13):
                season = (
                    1.8
                    if m in (4, 5, 10)
                    else 1.3
                    if m in (7, 8)
                    else 0.7
                    if m in (1, 2, 12)
                    else 1.0
                )
                visitors = int(rng.randint(8000, 20000) * season)
                rows["tourism_monthly"].append(
                    {"spot_code": code, "month": mess.month(y, m), "visitors": str(visitors),
                     "revenue": str(round(visitors * 0.008, 2))}
                )  # fmt: skip
    for i in range(max(6, n_entities // 150)):
        rows["hotel"].append(
            {"hotel_code": make_credit_code("92", "110107", f"{seed % 1000:03d}{i:06d}"),
             "hotel_name": f"石景山{_name(rng)}酒店", "star_rating": rng.choice(["三星", "四星", "未评星"]),
             "rooms": str(rng.randint(20, 400)), "beds": str(rng.randint(30, 700)),
             "street_code": rng.choice(STREETS)}
        )  # fmt: skip
    for i in range(max(5, n_entities // 15)):
        rows["investment_project"].append(
            {"project_code": f"2024-110107-{i:06d}", "project_name": f"石景山项目{i}",
             "owner_credit_code": rng.choice(employers), "industry_code": rng.choice(INDUSTRIES),
             "total_investment": str(rng.randint(100, 90000)), "start_date": mess.date(ref),
             "status": rng.choice(["前期", "在建", "竣工"]), "street_code": rng.choice(STREETS)}
        )  # fmt: skip

    ingested_at = dt.datetime.combine(batch_date, dt.time(6), tzinfo=dt.UTC)
    for rid, records in rows.items():
        if only is not None and rid not in only:
            continue
        resource = register.resource(rid)
        batch_id = (
            f"{rid}-{batch_date:%Y%m%d}-"
            + hashlib.sha1(f"{seed}{rid}{batch_date}".encode()).hexdigest()[:8]
        )
        cols: dict[str, pa.Array] = {}
        insert = register.operation_words("insert")[0]  # a first delivery inserts every key
        for f in resource.fields:
            default = insert if f.name == resource.delivery.operation else None
            cols[f.name] = pa.array([r.get(f.name, default) for r in records], pa.string())
        for f in resource.fields:
            if f.pseudonymised:
                cols[f.pseudonym_column] = hmac_hex(normalise_array(cols[f.name]), key)
        n = len(records)
        cols["_batch_id"] = pa.array([batch_id] * n, pa.string())
        cols["_source_file"] = pa.array([f"landing/{rid}/{batch_date}/{rid}.csv"] * n, pa.string())
        cols["_source_row"] = pa.array(range(1, n + 1), pa.int64())
        cols["_ingested_at"] = pa.array([ingested_at] * n, pa.timestamp("us", tz="UTC"))
        target = lake.accepted(rid) / f"batch_date={batch_date}" / f"part-{batch_id}.parquet"
        with atomic_path(target) as tmp:
            pq.write_table(pa.table(cols), tmp)
        result.rows[rid] = n
    folder = lake_root / "_sample" / str(batch_date)
    folder.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pylist(
        disagreements,
        schema=pa.schema([(c, pa.string()) for c in (
            "base_attribute", "entity_key", "resource", "field", "authoritative_value",
            "delivered_value")]),
    )  # fmt: skip
    pq.write_table(table, folder / "disagreements.parquet")
    result.disagreements = len(disagreements)
    return result


def pseudonym(value: str, key: bytes) -> str:
    """The pseudonym ingest gives ``value`` (same normalisation, same HMAC)."""
    return hmac_hex(pa.array([normalise(value)]), key)[0].as_py()


class AcceptedWriter:
    """``govlake.sample``'s writer interface, writing one clean accepted part per resource (what
    ingest and gate leave for a batch without defects): register fields as delivered text,
    pseudonyms, audit columns. The delta generator's build test writes through it."""

    key = KEY_TEXT.encode()

    def __init__(self, resource, lake_root: Path, batch_date: dt.date, scratch: Path,
                 delivery=None):  # fmt: skip
        self.resource, self.rows, self.batch_date = resource, 0, batch_date
        self.batch_id = f"{resource.id}-{batch_date:%Y%m%d}-delta"
        self.path = (Lake(lake_root).accepted(resource.id) / f"batch_date={batch_date}"
                     / f"part-{self.batch_id}.parquet")  # fmt: skip
        self.tables: list[pa.Table] = []

    def append(self, columns: dict[str, list[str | None]]) -> int:
        start, n = self.rows, len(next(iter(columns.values())))
        cols = {f.name: pa.array(columns[f.name], pa.string()) for f in self.resource.fields}
        for f in self.resource.fields:
            if f.pseudonymised:
                cols[f.pseudonym_column] = hmac_hex(normalise_array(cols[f.name]), self.key)
        at = dt.datetime.combine(self.batch_date, dt.time(6), tzinfo=dt.UTC)
        cols["_batch_id"] = pa.array([self.batch_id] * n, pa.string())
        cols["_source_file"] = pa.array([f"landing/{self.resource.id}/{self.batch_date}"] * n)
        cols["_source_row"] = pa.array(range(start + 1, start + n + 1), pa.int64())
        cols["_ingested_at"] = pa.array([at] * n, pa.timestamp("us", tz="UTC"))
        self.tables.append(pa.table(cols))
        self.rows += n
        return start

    def close(self) -> list[Path]:
        with atomic_path(self.path) as tmp:
            pq.write_table(pa.concat_tables(self.tables), tmp)
        return [self.path]

    def abort(self) -> None:
        self.tables.clear()
