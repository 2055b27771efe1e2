"""The generic sample generator: a resource nobody wrote a generator for gets valid rows, from
its register entry alone, that the quality gate accepts except for the recorded fatal defects.

``catalog`` is a temporary copy of the register with one new department YAML (the district
education commission, 区教育委员会) whose resources cover the register's shapes: a school roster
(学校名录, UTF-8 CSV, a new code list in the vocabulary), a monthly report with a three-field
key (xlsx), a person-level resource with a period in its key and a base attribute (jsonl,
English headers), and a street report whose key is finite (GB18030 CSV). Every count below
comes from the register, the scale or the generator's own record (truth.json).
"""
# ruff: noqa: E501 (the department YAML below keeps one field per line, as the register does)

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from test_sample import check_clean_cells, clean, defect_index, read_back

from govlake.identifiers import (
    citizen_id_birth_date,
    citizen_id_problem,
    citizen_id_sex,
    credit_code_problem,
    make_credit_code,
)
from govlake.sample.scales import SCALES

ROOT = Path(__file__).resolve().parents[1]
DAY = dt.date(2026, 11, 2)
TINY = SCALES["tiny"]
FATAL = {"bad_check_char", "duplicate_row", "blank_mandatory", "unknown_street_code"}

EDUCATION = """\
# 区教育委员会 — written as a new data engineer would, to onboard its extracts.
id: education
name: 石景山区教育委员会
name_en: Shijingshan Education Commission
code: "{code}"
delivery: {{completion: settle, settle_seconds: 0}}  # a test delivers at once (docs/delivery.md)
resources:
  - id: school
    name: 学校名录
    name_en: School roster
    resource_code: "311001001/000001"
    classification: {{category: "3", item: "11", subitem: "001", detail: "001"}}
    abstract: 辖区中小学校的学校标识码、名称、统一社会信用代码、所在街道、地址、学生数和教师数。
    delivery: {{format: csv, encoding: utf-8, headers: zh}}
    share_type: 无条件共享
    share_method: 文件下载
    open_type: 无条件开放
    update_cycle: 每年
    published: 2026-09-01
    fields:
      - {{name: school_code, label: 学校标识码, key: true, nullable: false, sensitivity: public, description: 教育部学校标识码}}
      - {{name: school_name, label: 学校名称, nullable: false, sensitivity: public, description: 学校名称}}
      - {{name: credit_code, label: 统一社会信用代码, format: credit_code, nullable: false, sensitivity: public, description: 学校统一社会信用代码}}
      - {{name: street_code, label: 街道, format: street_code, nullable: false, allowed: [vocab:street], sensitivity: public, description: 所在街道}}
      - {{name: address, label: 地址, sensitivity: public, description: 学校地址}}
      - {{name: students, label: 在校学生数, type: integer, min: 0, max: 5000, nullable: false, sensitivity: public, description: 在校学生数}}
      - {{name: teachers, label: 专任教师数, type: integer, min: 1, max: 400, sensitivity: public, description: 专任教师数}}
      - {{name: school_type, label: 办学类型, nullable: false, allowed: [vocab:school_type], sensitivity: public, description: 办学类型}}
      - {{name: principal, label: 校长姓名, sensitivity: personal, description: 校长姓名}}
      - {{name: phone, label: 联系电话, format: phone, sensitivity: public, description: 学校联系电话}}
      - {{name: industry_code, label: 行业代码, format: industry_code, sensitivity: public, description: 国民经济行业代码}}
      - {{name: founded, label: 建校日期, type: date, sensitivity: public, description: 建校日期}}
      - {{name: is_boarding, label: 是否寄宿制, type: boolean, sensitivity: public, description: 是否寄宿制学校}}

  - id: school_enrolment
    name: 学校分年级在校生月报
    name_en: Monthly enrolment by grade
    resource_code: "311001002/000001"
    classification: {{category: "3", item: "11", subitem: "001", detail: "002"}}
    abstract: 各学校每月分年级的在校生数和出勤率。
    delivery: {{format: xlsx, headers: zh}}
    share_type: 无条件共享
    share_method: 文件下载
    open_type: 不予开放
    update_cycle: 每月
    published: 2026-09-01
    fields:
      - {{name: school_code, label: 学校标识码, key: true, nullable: false, sensitivity: public, description: 教育部学校标识码}}
      - {{name: month, label: 统计月份, type: month, key: true, nullable: false, sensitivity: public, description: 统计月份}}
      - {{name: grade, label: 年级, key: true, nullable: false, allowed: [一年级, 二年级, 三年级, 四年级, 五年级, 六年级], sensitivity: public, description: 年级}}
      - {{name: students, label: 在校生数, type: integer, min: 0, max: 1000, nullable: false, sensitivity: public, description: 在校生数}}
      - {{name: attendance_rate, label: 出勤率, type: decimal, min: 0, max: 100, sensitivity: public, description: 出勤率 (%)}}

  - id: student_aid
    name: 学生资助发放信息
    name_en: Student financial aid
    resource_code: "311001003/000001"
    classification: {{category: "3", item: "11", subitem: "001", detail: "003"}}
    abstract: 享受国家助学金、免学费和营养餐补助的学生及发放金额。
    delivery: {{format: jsonl, headers: en}}
    share_type: 有条件共享
    share_condition: 仅限民政、人社部门核查救助资格
    share_method: 接口
    open_type: 不予开放
    update_cycle: 每季度
    published: 2026-09-01
    fields:
      - {{name: citizen_id, label: 公民身份号码, format: citizen_id, key: true, nullable: false, sensitivity: personal, description: 学生公民身份号码}}
      - {{name: student_name, label: 姓名, nullable: false, sensitivity: personal, base_attribute: person.name, description: 学生姓名}}
      - {{name: sex, label: 性别, nullable: false, allowed: [vocab:sex], sensitivity: personal, description: 性别}}
      - {{name: birth_date, label: 出生日期, type: date, nullable: false, sensitivity: personal, description: 出生日期}}
      - {{name: aid_period, label: 资助期, format: period, key: true, nullable: false, description: 资助所属期}}
      - {{name: aid_type, label: 资助类型, nullable: false, allowed: [国家助学金, 免学费, 营养餐补助], description: 资助类型}}
      - {{name: amount, label: 资助金额, type: decimal, min: 0, max: 3000, nullable: false, description: 资助金额 (元)}}
      - {{name: guardian_phone, label: 监护人电话, format: phone, sensitivity: personal, description: 监护人联系电话}}
      - {{name: domicile, label: 户籍地区划, format: division_code, description: 户籍所在区划代码}}

  - id: street_education_report
    name: 街道学前教育月报
    name_en: Monthly pre-school report by sub-district
    resource_code: "311001004/000001"
    classification: {{category: "3", item: "11", subitem: "001", detail: "004"}}
    abstract: 各街道每月的幼儿园数和在园幼儿数。
    delivery: {{format: csv, encoding: gb18030, headers: zh}}
    share_type: 无条件共享
    share_method: 文件下载
    open_type: 无条件开放
    update_cycle: 每月
    published: 2026-09-01
    fields:
      - {{name: street_code, label: 街道, format: street_code, key: true, nullable: false, allowed: [vocab:street], sensitivity: public, description: 街道}}
      - {{name: month, label: 统计月份, type: month, key: true, nullable: false, sensitivity: public, description: 统计月份}}
      - {{name: kindergartens, label: 幼儿园数, type: integer, min: 0, max: 50, sensitivity: public, description: 幼儿园数}}
      - {{name: children, label: 在园幼儿数, type: integer, min: 0, sensitivity: public, description: 在园幼儿数}}
      - {{name: note, label: 备注, sensitivity: public, description: 备注}}
"""
SCHOOL_TYPES = (
    "school_type: {小学: primary, 初级中学: junior_secondary, 九年一贯制学校: nine_year, "
    "完全中学: complete_secondary}\n"
)


def write_catalog(
    target: Path,
    *,
    without: tuple[str, ...] = (),
    only: tuple[str, ...] | None = None,
    education: bool = True,
) -> Path:
    """A copy of the register in ``target``, less some departments (or ``only`` some), plus
    the education one."""
    shutil.copytree(ROOT / "catalog", target)
    for path in (target / "departments").glob("*.yml"):
        if path.stem in without or (only is not None and path.stem not in only):
            path.unlink()
    if education:
        code = make_credit_code("11", "110107", "000012900")
        text = EDUCATION.format(code=code)
        (target / "departments" / "education.yml").write_text(text, encoding="utf-8")
        with open(target / "vocab.yml", "a", encoding="utf-8") as fh:
            fh.write("\n" + SCHOOL_TYPES)
    return target


@pytest.fixture(scope="module")
def onboarded(tmp_path_factory):
    """The register with the education department, a tiny sample of it, the sample read back."""
    from govlake.register import load_register
    from govlake.sample import generate

    base = tmp_path_factory.mktemp("onboard")
    register = load_register(write_catalog(base / "catalog"))
    result = generate(base / "lake", scale="tiny", seed=5, batch_date=DAY, register=register)
    files = {}
    for rid, res in register.resources.items():
        [path] = result.files_of(rid)
        files[rid] = (path, *read_back(path, res))
    defects = pq.read_table(result.defects_path).to_pylist()
    truth = json.loads(result.truth_path.read_text(encoding="utf-8"))
    return register, result, files, defects, truth


def _new(register) -> set[str]:
    return {r.id for r in register.departments["education"].resources}


def _rows(register, files, defects, rid) -> list[dict]:
    """Rows without a fatal defect, cosmetic noise undone (what the gate accepts)."""
    recorded = defect_index(defects)[rid]
    names = [f.name for f in register.resource(rid).fields]
    out = []
    for i, row in enumerate(files[rid][2], start=1):
        d = recorded.get(i)
        if d and d["fatal"]:
            continue
        values = {k: clean(v) for k, v in zip(names, row, strict=True)}
        if d and d["kind"] == "mixed_date_format":
            values[d["field"]] = d["clean_value"]
        out.append(values)
    return out


# ---------------------------------------------------------------------------- files
@pytest.mark.unit
def test_new_resources_are_generated_from_the_register(onboarded) -> None:
    register, result, files, defects, truth = onboarded
    from govlake.sample import GENERATED

    new = _new(register)
    assert set(truth["generic_resources"]) == set(register.resources) - GENERATED >= new
    assert set(truth["rows"]) == set(register.resources) == set(files)
    for rid in new:
        res = register.resource(rid)
        path, header, rows = files[rid]
        assert path.suffix == f".{res.delivery.format}"
        assert header == [f.label if res.delivery.headers == "zh" else f.name for f in res.fields]
        assert len(rows) == truth["rows"][rid] == result.rows[rid]
        dups = sum(1 for d in defects if d["resource"] == rid and d["kind"] == "duplicate_row")
        if res.id == "street_education_report":  # 街道 × month: every combination once
            assert len(rows) - dups == len(register.vocab["street"]) * TINY.months
        else:  # a key with an open domain (codes, IDs): the scale's rows
            assert len(rows) - dups == TINY.generic_rows
        if res.delivery.format == "csv":
            data = path.read_bytes()
            assert data.startswith(b"\xef\xbb\xbf") == (res.delivery.encoding == "utf-8-sig")
            if res.delivery.encoding == "gb18030":
                with pytest.raises(UnicodeDecodeError):
                    data.decode("utf-8")
    checked = check_clean_cells(register, files, defects, DAY)
    assert set(checked) == set(register.resources)
    kinds = Counter(d["kind"] for d in defects if d["resource"] in new)
    assert {"bad_check_char", "duplicate_row", "blank_mandatory", "unknown_street_code"} <= set(
        kinds
    )
    assert {"fullwidth_digits", "stray_spaces", "mixed_date_format"} <= set(kinds)


@pytest.mark.unit
def test_values_follow_the_labels_and_link_to_the_population(onboarded) -> None:
    register, _result, files, defects, _ = onboarded
    persons = {r["citizen_id"]: r for r in _rows(register, files, defects, "registered_person")}
    market = {r["credit_code"] for r in _rows(register, files, defects, "enterprise_registration")}
    aid = _rows(register, files, defects, "student_aid")
    linked = [r for r in aid if r["citizen_id"] in persons]
    assert len(linked) >= 0.9 * len(aid)  # the run's persons, so they join base_person
    for r in aid:
        cid = r["citizen_id"]
        assert citizen_id_problem(cid, today=DAY) is None
        assert r["sex"] == citizen_id_sex(cid)
        assert r["birth_date"] == citizen_id_birth_date(cid).isoformat()
    for r in linked:  # person.name is a base attribute: the police's value (一数一源)
        assert r["student_name"] == persons[r["citizen_id"]]["person_name"]
    schools = _rows(register, files, defects, "school")
    codes = {r["credit_code"] for r in schools}
    assert all(credit_code_problem(c) is None for c in codes)
    assert len(codes & market) >= 0.9 * min(len(codes), len(market))
    names = register.vocab["street"]
    for r in schools:
        assert r["school_name"].startswith("北京市石景山区") and r["school_name"].endswith("学校")
        if r["address"] and r["street_code"]:  # the address lies in the school's 街道
            assert r["address"].startswith("北京市石景山区" + names[r["street_code"]])
        if r["principal"]:
            assert 2 <= len(r["principal"]) <= 4
    enrolment = _rows(register, files, defects, "school_enrolment")
    roster = {clean(row[0]) for row in files["school"][2]} | {
        d["clean_value"]
        for d in defects
        if (d["resource"], d["field"]) == ("school", "school_code")
    }
    assert {r["school_code"] for r in enrolment} <= roster  # the report names roster schools
    per_school = Counter(r["school_code"] for r in enrolment)
    assert 1 < max(per_school.values()) <= 36  # a panel: several months and grades per school


# ---------------------------------------------------------------------------- the gate
@pytest.mark.integration
def test_new_resources_pass_the_gate_except_recorded_fatal_defects(
    onboarded, tmp_path, monkeypatch
) -> None:
    """sample → ingest → quality gate on the new resources: quarantined rows are exactly the
    generator's fatal defects, and delivered = accepted + quarantined."""
    from govlake.ingest import ingest_resource
    from govlake.lake import Lake, read_accepted
    from govlake.quality import validate_batch
    from govlake.settings import get_settings

    register, result, _files, defects, truth = onboarded
    lake_root = tmp_path / "lake"
    shutil.copytree(result.lake_root, lake_root)
    monkeypatch.setenv("GOVLAKE_LAKE_ROOT", str(lake_root))
    monkeypatch.setenv("GOVLAKE_HMAC_KEY", "test-key-not-secret")
    get_settings.cache_clear()
    lake = Lake(lake_root)
    try:
        for rid in sorted(_new(register)):
            report = ingest_resource(rid, lake=lake, register=register)
            assert report.ok, report.rejection_message()
            [file] = report.ingested
            assert file.rows == truth["rows"][rid]
            gate = validate_batch(rid, file.batch_id, lake=lake, register=register)
            assert not gate.held, gate.message
            quarantine = (
                pq.read_table(gate.quarantine_path).to_pylist() if gate.quarantine_path else []
            )
            got = {(q["_source_file"], q["_source_row"]) for q in quarantine}
            fatal = {
                (d["source_file"], d["source_row"])
                for d in defects
                if d["resource"] == rid and d["fatal"]
            }
            assert got == fatal, rid
            assert gate.quarantined == len(fatal) == truth["fatal_rows"][rid]
            accepted = read_accepted(lake, rid, file.batch_id)
            assert gate.delivered == accepted.num_rows + gate.quarantined == file.rows
            assert accepted.num_rows == truth["accepted_rows"][rid]
    finally:
        get_settings.cache_clear()


@pytest.mark.integration
def test_every_register_resource_generated_generically_passes_the_gate(lake_root, register) -> None:
    """All of today's resources made by the generic generator (no bespoke one): compound keys,
    every format and the police extract's own cross-field rules all hold."""
    from govlake.ingest import ingest_resource
    from govlake.lake import Lake
    from govlake.quality import validate_batch
    from govlake.sample import generate

    lake = Lake(lake_root)
    result = generate(lake_root, scale="tiny", seed=8, batch_date=DAY, register=register,
                      bespoke=())  # fmt: skip
    truth = json.loads(result.truth_path.read_text(encoding="utf-8"))
    assert set(truth["generic_resources"]) == set(register.resources)
    defects = pq.read_table(result.defects_path).to_pylist()
    for rid in register.resources:
        report = ingest_resource(rid, lake=lake, register=register)
        assert report.ok, report.rejection_message()
        [file] = report.ingested
        gate = validate_batch(rid, file.batch_id, lake=lake, register=register)
        quarantine = pq.read_table(gate.quarantine_path).to_pylist() if gate.quarantine_path else []
        got = {(q["_source_file"], q["_source_row"]) for q in quarantine}
        fatal = {(d["source_file"], d["source_row"]) for d in defects
                 if d["resource"] == rid and d["fatal"]}  # fmt: skip
        assert got == fatal, (rid, sorted(got ^ fatal)[:5], quarantine[:3])
        assert gate.delivered == file.rows == truth["rows"][rid]


# ---------------------------------------------------------------------------- shapes of run
@pytest.mark.unit
def test_a_register_without_some_departments(tmp_path) -> None:
    """Departments removed (their bespoke resources with them): the rest is generated, and
    only disagreements between resources of the run are recorded."""
    from govlake.register import load_register
    from govlake.sample import GENERATED, generate

    register = load_register(
        write_catalog(tmp_path / "catalog", without=("hrss", "tourism"), education=False)
    )
    result = generate(tmp_path / "lake", scale="tiny", seed=2, batch_date=DAY, register=register)
    truth = json.loads(result.truth_path.read_text(encoding="utf-8"))
    assert set(result.rows) == set(register.resources)
    assert truth["generic_resources"] == sorted(set(register.resources) - GENERATED)
    landing = {p.parent.parent.name for p in (tmp_path / "lake" / "landing").rglob("*.*")}
    assert landing == set(register.resources)
    disagreements = pq.read_table(result.disagreements_path).to_pylist()
    assert disagreements and {d["resource"] for d in disagreements} <= set(register.resources)
    files = {}
    for rid, res in register.resources.items():
        [path] = result.files_of(rid)
        files[rid] = (path, *read_back(path, res))
    defects = pq.read_table(result.defects_path).to_pylist()
    assert set(check_clean_cells(register, files, defects, DAY)) == set(register.resources)


@pytest.mark.unit
def test_a_field_added_to_a_bespoke_resource_is_generated(tmp_path) -> None:
    """The police extract gains a field its bespoke generator does not know: the generic
    rules fill it, every other value stays the bespoke one."""
    import re

    from govlake.register import load_register
    from govlake.sample import GENERATED, generate

    catalog = write_catalog(tmp_path / "catalog", education=False)
    police = catalog / "departments" / "police.yml"
    anchor = "      - {name: person_name, label: 姓名,"
    line = (
        "      - {name: phone, label: 联系电话, format: phone, sensitivity: personal, "
        "description: 本人联系电话}\n"
    )
    text = police.read_text(encoding="utf-8")
    assert text.count(anchor) == 1
    police.write_text(text.replace(anchor, line + anchor), encoding="utf-8")
    register = load_register(catalog)
    res = register.resource("registered_person")
    result = generate(tmp_path / "lake", scale="tiny", seed=11, batch_date=DAY, register=register)
    truth = json.loads(result.truth_path.read_text(encoding="utf-8"))
    assert truth["generic_resources"] == sorted(set(register.resources) - GENERATED)
    assert truth["persons"] == TINY.persons
    files = {}
    for rid, r in register.resources.items():
        [path] = result.files_of(rid)
        files[rid] = (path, *read_back(path, r))
    defects = pq.read_table(result.defects_path).to_pylist()
    assert set(check_clean_cells(register, files, defects, DAY)) == set(register.resources)
    at = [f.name for f in res.fields].index("phone")
    phones = [row[at] for row in files["registered_person"][2] if row[at] is not None]
    assert len(phones) >= 0.85 * len(files["registered_person"][2])
    assert all(re.fullmatch(r"1[3-9]\d{9}", clean(p)) for p in phones)


@pytest.mark.unit
def test_generic_rows_stream_in_chunks_and_repeat_for_a_seed(tmp_path) -> None:
    """Small chunks: keys stay unique across chunks, row counts do not change; the same seed
    gives the same bytes."""
    from govlake.register import load_register
    from govlake.sample import generate

    # the police extract: the authority for the education resources' person.name
    register = load_register(write_catalog(tmp_path / "catalog", only=("police",)))
    new = sorted(_new(register))

    def run(name: str, chunk: int | None):
        return generate(tmp_path / name, scale="tiny", seed=4, batch_date=DAY, register=register,
                        bespoke=(), chunk_size=chunk)  # fmt: skip

    whole, small, again = run("whole", None), run("small", 37), run("again", 37)

    def generated(result) -> dict[str, int]:  # rows before duplicates were injected
        truth = json.loads(result.truth_path.read_text(encoding="utf-8"))
        dups = {rid: kinds.get("duplicate_row", 0) for rid, kinds in truth["defects"].items()}
        return {rid: n - dups.get(rid, 0) for rid, n in truth["rows"].items()}

    assert generated(whole) == generated(small)
    for a, b in zip(small.files, again.files, strict=True):
        assert a.read_bytes() == b.read_bytes(), a
    files = {}
    for rid in new:
        res = register.resource(rid)
        [path] = small.files_of(rid)
        files[rid] = (path, *read_back(path, res))
    defects = [d for d in pq.read_table(small.defects_path).to_pylist() if d["resource"] in new]
    assert set(check_clean_cells(register, files, defects, DAY)) == set(new)


@pytest.mark.unit
def test_new_identifiers_are_distinct_and_valid() -> None:
    from govlake.sample.generic import fresh_citizen_ids, fresh_credit_codes

    ids = fresh_citizen_ids(list(range(3000)), DAY)
    assert len(set(ids)) == len(ids)
    assert all(citizen_id_problem(i, today=DAY) is None for i in ids)
    years = {citizen_id_birth_date(i).year for i in ids}
    assert min(years) <= DAY.year - 70 and max(years) >= DAY.year - 25  # spread over ages
    codes = fresh_credit_codes(list(range(3000)))
    assert len(set(codes)) == len(codes)
    assert all(credit_code_problem(c) is None for c in codes)


@pytest.mark.unit
@pytest.mark.parametrize(
    ("label", "name", "kind"),
    [
        ("姓名", "student_name", "person"),
        ("法定代表人", "legal_representative", "person"),
        ("校长姓名", "principal", "person"),
        ("学校名称", "school_name", "organisation"),
        ("名称", "hotel_name", "organisation"),
        ("地址", "address", "address"),
        ("住所", "domicile", "address"),
        ("学校标识码", "school_code", "code"),
        ("备注", "note", "text"),
    ],
)
def test_string_rules_read_the_label(label: str, name: str, kind: str) -> None:
    from govlake.register import InfoItem
    from govlake.sample.generic import string_kind

    assert string_kind(InfoItem(name=name, label=label, description="-")) == kind
