"""One register entry onboards an extract, end to end, through real Airflow.

A new department YAML (the district education commission's school roster, 学校名录) is added to a
temporary copy of the register, with the code list and theme it brings added to the vocabulary —
and nothing else: no DAG, dbt model, suite, catalogue entry or test data written by hand. Then
sample → ingest DAG → quality gate → build DAG → catalogue DAG → exchange DAG → publish DAG, and
the resource must appear in every place derived from the register: the exchange (a subscription
delivers it) and the open-data portal (CKAN) included. Later capabilities add their places here.
"""
# ruff: noqa: E501 (the department YAML keeps one field per line, as the register does)

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
import yaml

from govlake.identifiers import credit_code_problem, normalise
from govlake.lake import Lake, read_accepted

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[1]
DAY = dt.date(2026, 11, 2)
KEY = "test-key-not-secret"
CODE = "311001001/000001"
SUFFIX = "-onboarding"  # its datasets' names on the session's portal

EDUCATION = """\
# 区教育委员会: the school roster, as a new data engineer writes it.
id: education
name: 北京市石景山区教育委员会
name_en: Shijingshan Education Commission
code: "11110107000012800L"
delivery: {completion: ok_marker}  # its exchange server writes <file>.ok after each file
resources:
  - id: school
    name: 学校名录
    name_en: School roster
    resource_code: "311001001/000001"
    classification: {category: "3", item: "11", subitem: "001", detail: "001"}
    abstract: 辖区中小学校和幼儿园的学校代码、名称、统一社会信用代码、所在街道、地址、学生数、教职工数和办学类型。
    delivery: {format: csv, encoding: utf-8, headers: zh}
    share_type: 无条件共享
    share_method: 文件下载
    open_type: 无条件开放
    update_cycle: 每年
    published: 2026-09-01
    theme: 教育
    fields:
      - {name: school_code, label: 学校代码, key: true, nullable: false, sensitivity: public, description: 教育部学校标识码}
      - {name: school_name, label: 学校名称, nullable: false, sensitivity: public, description: 学校名称}
      - {name: credit_code, label: 统一社会信用代码, format: credit_code, nullable: false, sensitivity: public, description: 学校的统一社会信用代码}
      - {name: street_code, label: 街道代码, format: street_code, nullable: false, allowed: [vocab:street], sensitivity: public, description: 所在街道代码}
      - {name: address, label: 地址, sensitivity: public, description: 学校地址}
      - {name: students, label: 学生数, type: integer, min: 0, max: 5000, sensitivity: public, description: 在校学生数}
      - {name: teachers, label: 教职工数, type: integer, min: 0, max: 500, sensitivity: public, description: 教职工数}
      - {name: school_type, label: 办学类型, nullable: false, allowed: [vocab:school_type], sensitivity: public, description: 幼儿园/小学/初中/高中/九年一贯制}
"""


def _catalog(target: Path) -> Path:
    """The register plus one department file; the vocabulary gains the code list and theme."""
    shutil.copytree(ROOT / "catalog", target)
    (target / "departments" / "education.yml").write_text(EDUCATION, encoding="utf-8")
    vocab = yaml.safe_load((target / "vocab.yml").read_text(encoding="utf-8"))
    vocab["theme"]["教育"] = "education"
    vocab["school_type"] = {t: t for t in ("幼儿园", "小学", "初中", "高中", "九年一贯制")}
    (target / "vocab.yml").write_text(yaml.safe_dump(vocab, allow_unicode=True), encoding="utf-8")
    return target


def _tracked() -> dict[str, tuple[int, int]]:
    """(mtime, size) of the repository's derived-from-register places: none may change."""
    out = {}
    for top in ("catalog", "dags", "dbt_project", "quality"):
        for path in (ROOT / top).rglob("*"):
            rel = path.relative_to(ROOT)
            if path.is_file() and not {"target", "logs", "__pycache__"} & set(rel.parts):
                st = path.stat()
                out[rel.as_posix()] = (st.st_mtime_ns, st.st_size)
    return out


@pytest.fixture(scope="module")
def onboarded(tmp_path_factory, ckan_portal):
    from govlake import airflow_local
    from govlake.exchange import Exchange, load_rules
    from govlake.register import load_register
    from govlake.sample import generate
    from govlake.settings import get_settings

    base = tmp_path_factory.mktemp("onboarding")
    tracked = _tracked()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("GOVLAKE_REGISTER_DIR", str(_catalog(base / "catalog")))
        env.setenv("GOVLAKE_LAKE_ROOT", str(base / "lake"))
        env.setenv("GOVLAKE_HMAC_KEY", KEY)
        env.setenv("GOVLAKE_CKAN_URL", ckan_portal.url)  # the session's portal
        env.setenv("GOVLAKE_CKAN_TOKEN", ckan_portal.api_token)
        env.setenv("GOVLAKE_PUBLISH_NAME_SUFFIX", SUFFIX)
        get_settings.cache_clear()
        register = load_register()
        sample = generate(base / "lake", scale="tiny", seed=3, batch_date=DAY, register=register)
        exchange = Exchange(load_rules(register), Lake(base / "lake"))
        exchange.subscribe("health", "school")  # 无条件共享: granted at once
        demand = exchange.demand(
            "tax", what="学校名录", why="教育费附加核定", holder="education",
            wants=["学校代码", "学生数"],
        )  # fmt: skip
        airflow_local.migrate()
        bag = airflow_local.dagbag()
        runs = {
            dag_id: airflow_local.run_dag(bag.dags[dag_id])
            for dag_id in ("ingest__school", "build", "catalogue", "exchange", "publish")
            if dag_id in bag.dags
        }
        yield {
            "register": register, "sample": sample, "bag": bag, "runs": runs,
            "lake": Lake(base / "lake"), "tracked": tracked, "demand": demand.id,
        }  # fmt: skip
    get_settings.cache_clear()


def test_its_dags_exist_and_run(onboarded) -> None:
    bag, runs = onboarded["bag"], onboarded["runs"]
    assert bag.import_errors == {}
    dag = bag.dags["ingest__school"]
    assert set(dag.tags) == {"ingest", "education"}
    schedule = {a.uri for a in bag.dags["build"].timetable.asset_condition.objects}
    assert "govlake://lake/accepted/school" in schedule
    assert {d: r.state for d, r in runs.items()} == dict.fromkeys(
        ("ingest__school", "build", "catalogue", "exchange", "publish"), "success"
    )


def test_every_row_is_accounted_for(onboarded) -> None:
    from govlake.ingest import read_manifest

    lake, sample = onboarded["lake"], onboarded["sample"]
    [entry] = read_manifest("school", lake=lake)
    truth = json.loads(sample.truth_path.read_text(encoding="utf-8"))
    assert entry["status"] == "accepted"
    assert entry["rows"] == truth["rows"]["school"] > 0
    accepted = read_accepted(lake, "school").num_rows
    quarantined = pq.read_table(lake.quarantine("school")).num_rows
    assert accepted + quarantined == entry["rows"]
    assert quarantined == truth["fatal_rows"]["school"]


def test_its_quality_suite_comes_from_the_register(onboarded) -> None:
    from govlake.quality.suites import build_suite, expectation_name

    suite = build_suite("school", onboarded["register"], DAY)
    names = {expectation_name(e) for e in suite.expectations}
    assert any("credit_code" in n for n in names)
    assert any("street_code" in n for n in names)
    assert any("first_occurrence" in n and "school_code" in n for n in names)


def test_dbt_renders_it_and_analysts_see_it(onboarded, monkeypatch) -> None:
    from govlake.settings import get_settings
    from govlake.transform import run_sql

    lake = onboarded["lake"]
    project = lake.root / "_build" / "dbt_project" / "models"
    for rel in ("staging/education/stg_education__schools.sql",
                "intermediate/int_education__schools_current.sql",
                "resources/resources__school.sql"):  # fmt: skip
        assert (project / rel).is_file(), rel
    sources = yaml.safe_load((project / "staging" / "_sources.yml").read_text(encoding="utf-8"))
    [education] = [s for s in sources["sources"] if s["name"] == "education"]
    assert [t["name"] for t in education["tables"]] == ["school"]

    rows = read_accepted(lake, "school").to_pylist()
    valid = {normalise(r["school_code"]) for r in rows}  # a plain code: every key counts
    monkeypatch.setenv("GOVLAKE_LAKE_ROOT", str(lake.root))
    get_settings.cache_clear()
    n = json.loads(run_sql("select count(*) as n from school", fmt="json"))[0]["n"]
    assert n == len(valid)
    assert "school" in run_sql("show tables", fmt="csv").split()
    with duckdb.connect(str(lake.root / "warehouse.duckdb"), read_only=True) as con:
        described = con.execute("describe resources.school").fetchall()
    columns = {c[0] for c in described}
    assert {"school_code", "credit_code", "students", "school_type"} <= columns
    codes = {r["credit_code"] for r in rows if r["credit_code"]}
    assert any(credit_code_problem(normalise(c)) is None for c in codes)


def test_the_catalogue_lists_it(onboarded) -> None:
    lake = onboarded["lake"]
    con = duckdb.connect(str(lake.root / "warehouse.duckdb"), read_only=True)
    [(name, theme, provider)] = con.execute(
        "select name, theme, provider from catalogue.catalogue_resource where resource_code = ?",
        [CODE],
    ).fetchall()
    assert (name, theme, provider) == ("学校名录", "教育", "北京市石景山区教育委员会")
    labels = [label for (label,) in con.execute(
        "select label from catalogue.catalogue_item where resource_code = ? order by position",
        [CODE]).fetchall()]  # fmt: skip
    assert labels[:2] == ["学校代码", "学校名称"] and len(labels) == 8
    [(freshness, rows)] = con.execute(
        "select freshness, rows_accepted from catalogue.catalogue_status where resource_code = ?",
        [CODE],
    ).fetchall()
    assert freshness == "on_time" and rows == read_accepted(lake, "school").num_rows
    exports = lake.root / "catalogue" / "exports"
    assert CODE in (exports / "catalogue.csv").read_text(encoding="utf-8-sig")
    assert CODE in (exports / "catalogue.ttl").read_text(encoding="utf-8")
    page = lake.root / "catalogue" / "site" / "resource" / f"{CODE.replace('/', '-')}.html"
    assert "学校名录" in page.read_text(encoding="utf-8")
    department = lake.root / "catalogue" / "site" / "department" / "education.html"
    assert "学校名录" in department.read_text(encoding="utf-8")


def test_a_department_subscribes_to_it_and_receives_it(onboarded) -> None:
    """The exchange: health's subscription delivers the accepted batch, every 信息项,
    and the tax bureau's demand for a school list is met by it (供需对接)."""
    from govlake.exchange import read_state
    from govlake.ingest import read_manifest

    lake = onboarded["lake"]
    state = read_state(lake)
    [receipt] = state.deliveries
    [entry] = read_manifest("school", lake=lake)
    assert (receipt["grantee"], receipt["resource"], receipt["batch"]) == (
        "health", "school", entry["batch_id"],
    )  # fmt: skip
    delivered = pq.read_table(lake.root / receipt["files"][0]["path"])
    accepted = read_accepted(lake, "school")
    assert delivered.column_names == [f for f in accepted.column_names if not f.startswith("_")]
    assert delivered.to_pylist() == accepted.select(delivered.column_names).to_pylist()
    demand = state.demands[onboarded["demand"]]
    assert (demand.status, demand.resource) == ("closed", "school")
    page = lake.root / "catalogue" / "site" / "department" / "health.html"
    assert receipt["batch"] in page.read_text(encoding="utf-8")


def test_the_grantee_reads_it_through_the_api(onboarded) -> None:
    """The exchange read API (#15): health's subscription read over HTTP with its token, the
    same rows as the delivery, the call on the record."""
    from fastapi.testclient import TestClient
    from pydantic import SecretStr

    from govlake.exchange import load_rules, read_state
    from govlake.exchange.api import create_app
    from govlake.exchange.tokens import create_token
    from govlake.settings import Settings

    lake = onboarded["lake"]
    [grant] = read_state(lake).grants.values()
    token, _ = create_token(lake, grant.id, "health")
    settings = Settings(lake_root=lake.root, hmac_key=SecretStr(KEY))
    client = TestClient(create_app(load_rules(onboarded["register"]), settings))
    r = client.get(
        "/v1/resources/school", headers={"Authorization": f"Bearer {token}"},
        params={"limit": 1000},
    )  # fmt: skip
    assert r.status_code == 200, r.text
    [receipt] = read_state(lake).deliveries
    delivered = pq.read_table(lake.root / receipt["files"][0]["path"])
    assert r.json()["columns"] == delivered.column_names
    assert [list(row.values()) for row in r.json()["rows"]] == [
        list(row.values()) for row in delivered.to_pylist()
    ]


def test_it_is_published_on_ckan(onboarded, ckan_portal) -> None:
    """Open and without a personal field: a dataset in the new department's organization, in
    the new theme's group, its CSV downloadable and in the DataStore."""
    import requests
    from ckanapi import RemoteCKAN

    anonymous = RemoteCKAN(ckan_portal.url)
    name = CODE.replace("/", "-") + SUFFIX
    package = anonymous.action.package_show(id=name)
    assert package["organization"]["title"] == "北京市石景山区教育委员会"
    assert [g["name"] for g in package["groups"]] == ["theme-education"]
    rows = read_accepted(onboarded["lake"], "school")
    [csv] = [r for r in package["resources"] if r["format"] == "CSV"]
    body = requests.get(csv["url"], timeout=30)
    assert body.status_code == 200 and body.content.startswith(b'\xef\xbb\xbf"school_code",')
    total = anonymous.action.datastore_search(resource_id=csv["id"], limit=0)["total"]
    assert total == len({normalise(r["school_code"]) for r in rows.to_pylist()}) > 0


def test_nothing_in_the_repository_was_written(onboarded) -> None:
    assert _tracked() == onboarded["tracked"]
