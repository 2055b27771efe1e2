"""The CKAN publisher against a real CKAN (the session's local portal, ``ckan_portal``) and a tiny
lake built once with real dbt: every open entry is a dataset in its department's organization,
files download byte-equal, the DataStore answers, the page shows its preview in Chromium; a rerun
uploads nothing; a changed product updates one dataset in place; a withdrawn one disappears for
the public; personal and classified resources and a file with a planted citizen ID are refused;
CKAN stopped mid-sync, then restarted: the rerun completes without duplicates; the publish DAG
runs under ``dag.test()``.

Each test publishes under its own dataset-name suffix (``publish_name_suffix``), so tests share
the portal without depending on each other's order."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import uuid
from functools import cache
from pathlib import Path

import duckdb
import pytest
import requests
from accepted_batches import generate
from ckanapi import NotAuthorized, NotFound
from pydantic import SecretStr

from govlake.identifiers import make_citizen_id
from govlake.publish import mapping
from govlake.publish.run import publish
from govlake.publish.selection import PublishError, select
from govlake.settings import Settings

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[1]
KEY = "test-key-not-secret"
FILE_KEYS = ["csv", "dictionary", "json", "parquet"]


@pytest.fixture(scope="module")
def lake(tmp_path_factory) -> Path:
    """A tiny lake (accepted-zone fixture → dbt build), built once for the module."""
    from govlake.register import load_register
    from govlake.settings import get_settings
    from govlake.transform import build

    root = tmp_path_factory.mktemp("publish") / "lake"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GOVLAKE_LAKE_ROOT", str(root))
        mp.setenv("GOVLAKE_HMAC_KEY", KEY)
        get_settings.cache_clear()
        generate(root, load_register(ROOT / "catalog"), scale="tiny",
                 batch_date=dt.date(2026, 11, 2), key=KEY.encode())  # fmt: skip
        result = build()
        assert result.success, result.message
    get_settings.cache_clear()
    return root


def _settings(lake: Path, portal, suffix: str | None = None, **kwargs) -> Settings:
    return Settings(
        lake_root=lake,
        hmac_key=KEY,
        ckan_url=portal.url,
        ckan_token=portal.api_token,
        publish_name_suffix=suffix if suffix is not None else f"-{uuid.uuid4().hex[:8]}",
        **kwargs,
    )


def _copy_warehouse(lake: Path, tmp_path: Path) -> Path:
    """A private copy of the warehouse a test may change."""
    target = tmp_path / "warehouse.duckdb"
    shutil.copyfile(lake / "warehouse.duckdb", target)
    return target


def _anonymous(portal):
    from ckanapi import RemoteCKAN

    return RemoteCKAN(portal.url)


def _admin(portal):
    from ckanapi import RemoteCKAN

    return RemoteCKAN(portal.url, apikey=portal.api_token)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@cache
def _candidates(warehouse: Path) -> dict[str, object]:
    from govlake.catalogue.export import read_catalogue

    cat = read_catalogue(Settings(lake_root=warehouse.parent, warehouse_path=warehouse))
    return {c.resource_id: c for c in select(cat).publish}


def _rows(warehouse: Path, relation: str) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(f"select count(*) from {relation}").fetchone()[0]


@pytest.fixture(scope="module")
def published(lake, ckan_portal):
    """Everything open, published once under this module's suffix."""
    settings = _settings(lake, ckan_portal, f"-all{uuid.uuid4().hex[:6]}")
    report = publish(settings)
    assert report.problems == [], report.problems
    return settings, report


# --- no CKAN needed ----------------------------------------------------------------------------


def test_selection_refuses_personal_and_classified_and_says_why(lake) -> None:
    from govlake.catalogue.export import read_catalogue

    cat = read_catalogue(Settings(lake_root=lake))
    everything = select(cat)
    [refused] = everything.refused  # the one open entry with a personal 信息项
    assert refused.resource_id == "enterprise_registration" and refused.rule == "personal"
    assert "legal_representative" in str(refused) and "法定代表人" in str(refused)
    published = {c.resource_id for c in everything.publish}
    assert {"open_tourism_monthly", "investment_project", "hotel"} <= published
    assert all(c.resource["open_type"] != "不予开放" for c in everything.publish)
    asked = select(cat, ["registered_person", "air_defence_work", "310001001/000001"])
    assert {(r.resource_id, r.rule) for r in asked.refused} == {
        ("registered_person", "not_open"), ("air_defence_work", "classified"),
    }  # fmt: skip
    assert asked.publish == []
    with pytest.raises(PublishError, match="not in the catalogue: nonesuch"):
        select(cat, ["nonesuch"])


def test_scan_finds_ids_phones_and_personal_values_and_names_file_column_row(lake, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from govlake.lake import Lake, read_accepted
    from govlake.publish.scan import Scanner, is_citizen_id
    from govlake.register import load_register

    planted = make_citizen_id("110107", dt.date(1990, 5, 17), 7, True)
    name = read_accepted(Lake(lake), "registered_person")["person_name"][0].as_py().strip()
    table = pa.table({
        "code": ["91110107042000001X", "S001", "S002", "S003"],
        "note": ["ok", f"联系 {planted}", "电话13812345678", "x"],
        "who": ["a", "b", "c", name],
        "amount": pa.array([13812345678.0, 1.0, 2.0, 3.0]),  # numbers are not phone numbers
    })  # fmt: skip
    pq.write_table(table, tmp_path / "t.parquet")
    scanner = Scanner(Lake(lake), load_register(ROOT / "catalog"))
    try:
        hits = scanner.scan_file(tmp_path / "t.parquet")
    finally:
        scanner.close()
    found = {(h.file, h.column, h.row, h.kind.split(" ")[0]) for h in hits}
    assert found == {
        ("t.parquet", "note", 2, "citizen"), ("t.parquet", "note", 3, "mobile"),
        ("t.parquet", "who", 4, "value"),
    }, hits  # fmt: skip
    assert all(planted not in str(h) and "13812345678" not in str(h) for h in hits)  # masked
    assert not is_citizen_id("91110107042000001X")  # a credit code is not an ID
    assert is_citizen_id(planted.lower())


def test_files_and_data_dictionary(lake, tmp_path) -> None:
    """CSV with BOM and CRLF, Parquet and JSON hold the same rows; the data package is valid
    (frictionless, data included) and carries the 信息项 labels."""
    import pyarrow.parquet as pq
    from frictionless import Package

    from govlake.catalogue.export import connect_warehouse
    from govlake.publish import files

    settings = Settings(lake_root=lake)
    c = _candidates(settings.warehouse)["tourism_monthly"]
    con = connect_warehouse(settings)
    try:
        cols = files.columns(con, c)
        dictionary = files.data_dictionary("x", c, cols, "cc-by-4.0")
        files.check_dictionary(dictionary)
        info = files.table_info(con, c, dictionary)
        written = files.write_files(files.read_table(con, c, cols), tmp_path, c, dictionary)
        again = files.table_info(con, c, dictionary)
    finally:
        con.close()
    assert again.fingerprint == info.fingerprint  # same rows, same fingerprint
    raw = written["csv"].path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    assert raw.count(b"\r\n") == info.rows + 1
    assert pq.read_table(written["parquet"].path).num_rows == info.rows
    assert len(json.loads(written["json"].path.read_text(encoding="utf-8"))) == info.rows
    fields = dictionary["resources"][0]["schema"]["fields"]
    assert [f["title"] for f in fields] == ["景区代码", "统计月份", "接待人次", "旅游收入"]
    assert dictionary["resources"][0]["schema"]["primaryKey"] == ["spot_code", "month"]
    report = Package(json.loads(written["dictionary"].path.read_text()), basepath=str(tmp_path))
    assert report.validate().valid
    assert info.temporal == ("2024-01-01", "2025-12-01")


def test_a_url_without_a_token_is_an_error(lake) -> None:
    with pytest.raises(PublishError, match="GOVLAKE_CKAN_TOKEN is not"):
        publish(Settings(lake_root=lake, ckan_url="http://127.0.0.1:9"))


def test_dry_run_with_ckan_unreachable_plans_every_dataset_as_created(lake) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = Settings(lake_root=lake, ckan_url=f"http://127.0.0.1:{port}", ckan_token="x")
    report = publish(settings, dry_run=True)
    assert report.notes == ["CKAN unreachable: every dataset planned as created"]
    assert report.counts["created"] == len(_candidates(settings.warehouse))
    assert report.uploads == 4 * report.counts["created"]
    assert Path(report.path).name.startswith("plan-")


# --- against the portal ------------------------------------------------------------------------


def test_every_open_resource_is_a_dataset_in_its_organization(published, ckan_portal) -> None:
    settings, report = published
    candidates = _candidates(settings.warehouse)
    assert report.counts["created"] == len(candidates) and report.counts["failed"] == 0
    assert [d.resource_id for d in report.datasets if d.outcome == "refused"] == [
        "enterprise_registration"
    ]
    anonymous = _anonymous(ckan_portal)
    for rid, c in candidates.items():
        name = mapping.dataset_name(c.code, settings.publish_name_suffix)
        package = anonymous.action.package_show(id=name)
        r = c.resource
        assert package["organization"]["name"] == r["provider_id"].replace("_", "-")
        assert package["organization"]["title"] == r["provider"]
        assert package["title"] == f"{r['name']} / {r['name_en']}"
        assert package["license_id"] == "cc-by-4.0"
        # the title from publish/licenses.json (CKAN's own list lacks CC BY 4.0)
        assert package["license_title"] == "知识共享署名 4.0 国际 (CC BY 4.0)"
        extras = mapping.extras(package)
        assert extras["resource_code"] == c.code
        assert extras["provider_code"] == r["provider_code"]
        assert extras["update_cycle"] == r["update_cycle"]
        assert extras["spatial_text"] == "北京市石景山区"
        if r["open_type"] == "有条件开放":
            assert extras["open_condition"] == r["open_condition"]
            assert r["open_condition"] in package["notes"]
        else:
            assert "open_condition" not in extras
        theme = r["base_database"] or r["theme"]
        assert theme in {t["name"] for t in package["tags"]}
        assert len(package["groups"]) == 1 and package["groups"][0]["title"].startswith(theme)
        assert sorted(x[mapping.FILE_KEY] for x in package["resources"]) == FILE_KEYS, rid
    with pytest.raises(NotFound):
        anonymous.action.package_show(
            id=mapping.dataset_name("304001001/000001", settings.publish_name_suffix)
        )


def test_files_download_byte_equal_and_the_datastore_answers(published, ckan_portal) -> None:
    settings, _ = published
    anonymous = _anonymous(ckan_portal)
    for c in _candidates(settings.warehouse).values():
        name = mapping.dataset_name(c.code, settings.publish_name_suffix)
        folder = settings.lake_root / "publish" / "files" / name
        package = anonymous.action.package_show(id=name)
        for resource in package["resources"]:
            local = folder / resource["name"]
            body = requests.get(resource["url"], timeout=30)
            assert body.status_code == 200 and body.content == local.read_bytes(), resource["url"]
            assert resource[mapping.SHA_KEY] == _sha(local)
        [csv] = [x for x in package["resources"] if x[mapping.FILE_KEY] == "csv"]
        assert csv["datastore_active"]
        search = anonymous.action.datastore_search(resource_id=csv["id"], limit=1)
        assert search["total"] == _rows(settings.warehouse, c.relation)
        labels = {f["id"]: f.get("info", {}).get("label") for f in search["fields"]}
        for item in c.items:
            assert labels[item["name"]] == (item["label"] or item["name"])


def test_rerun_uploads_nothing(published) -> None:
    settings, first = published
    writes: list[str] = []
    report = publish(settings, on_operation=lambda n, action: writes.append(action))
    assert writes == []
    assert report.counts["unchanged"] == first.counts["created"]
    assert report.uploads == 0 and report.bytes == 0
    plan = publish(settings, dry_run=True)
    assert plan.counts["unchanged"] == first.counts["created"] and plan.uploads == 0


@pytest.mark.browser
def test_the_dataset_page_shows_its_datastore_preview(
    published, ckan_portal, page, page_log, screenshot
):
    settings, _ = published
    c = _candidates(settings.warehouse)["scenic_spot"]
    name = mapping.dataset_name(c.code, settings.publish_name_suffix)
    package = _anonymous(ckan_portal).action.package_show(id=name)
    [csv] = [x for x in package["resources"] if x[mapping.FILE_KEY] == "csv"]
    # the portal's default, Chinese interface: CKAN's JavaScript starts only because the
    # govlake_locale plugin answers the translations it asks for (/api/i18n/zh_Hans-CN)
    page.goto(f"{ckan_portal.url}/dataset/{name}/resource/{csv['id']}")
    frame = page.frame_locator("iframe").first
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        first = con.execute("select spot_name from resources.scenic_spot order by 1").fetchone()[0]
    try:
        frame.get_by_text(first, exact=True).first.wait_for(timeout=20_000)
    except Exception:
        pytest.fail(f"no preview row; page log: {page_log}")
    screenshot("preview")
    assert "景区名称" in frame.locator("table").first.inner_text()


def test_changing_one_product_updates_exactly_one_dataset_in_place(lake, ckan_portal, tmp_path):
    warehouse = _copy_warehouse(lake, tmp_path)
    settings = _settings(lake, ckan_portal, warehouse_path=warehouse)
    only = ["open_tourism_monthly", "scenic_spot", "hotel"]
    first = publish(settings, only=only)
    assert first.counts["created"] == 3 and first.problems == []
    name = mapping.dataset_name("202001004/000001", settings.publish_name_suffix)
    admin = _admin(ckan_portal)
    before = {r[mapping.FILE_KEY]: r["id"] for r in admin.action.package_show(id=name)["resources"]}
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "update open.open_tourism_monthly set visitors = 999999 "
            "where spot_code = (select min(spot_code) from open.open_tourism_monthly)"
        )
    second = publish(settings, only=only)
    by_outcome = {d.resource_id: d.outcome for d in second.datasets}
    assert by_outcome == {
        "open_tourism_monthly": "updated", "scenic_spot": "unchanged", "hotel": "unchanged",
    }  # fmt: skip
    [updated] = [d for d in second.datasets if d.outcome == "updated"]
    assert sorted(updated.uploads) == ["csv", "json", "parquet"]  # the dictionary did not change
    after = admin.action.package_show(id=name)["resources"]
    assert {r[mapping.FILE_KEY]: r["id"] for r in after} == before  # replaced in place
    found = admin.action.datastore_search(resource_id=before["csv"], filters={"visitors": 999999})
    assert found["total"] > 0


def test_a_withdrawn_dataset_is_gone_for_the_public(lake, ckan_portal, tmp_path) -> None:
    warehouse = _copy_warehouse(lake, tmp_path)
    settings = _settings(lake, ckan_portal, warehouse_path=warehouse)
    only = ["scenic_spot", "hotel"]
    assert publish(settings, only=only).counts["created"] == 2
    name = mapping.dataset_name("309001001/000001", settings.publish_name_suffix)
    anonymous = _anonymous(ckan_portal)
    assert anonymous.action.package_search(q=f"name:{name}")["count"] == 1
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "update catalogue.catalogue_resource set open_type = '不予开放' "
            "where resource_id = 'scenic_spot'"
        )
    report = publish(settings, only=only)
    assert {d.name: d.outcome for d in report.datasets} == {
        name: "withdrawn", mapping.dataset_name("309001002/000001", settings.publish_name_suffix):
        "unchanged",
    }  # fmt: skip
    assert anonymous.action.package_search(q=f"name:{name}")["count"] == 0
    assert requests.get(f"{ckan_portal.url}/dataset/{name}", timeout=30).status_code in (403, 404)
    assert _admin(ckan_portal).action.package_show(id=name)["private"] is True
    assert publish(settings, only=only).counts["withdrawn"] == 0  # withdrawn once


def test_personal_and_classified_resources_are_refused(lake, ckan_portal) -> None:
    settings = _settings(lake, ckan_portal)
    report = publish(settings, only=["registered_person", "air_defence_work",
                                     "enterprise_registration"])  # fmt: skip
    rules = {d.resource_id: d.detail.split(":")[0] for d in report.datasets}
    assert rules == {
        "registered_person": "not_open", "air_defence_work": "classified",
        "enterprise_registration": "personal",
    }  # fmt: skip
    assert report.problems == []  # refused by the rules: reported, not a failed run
    anonymous = _anonymous(ckan_portal)
    for d in report.datasets:
        with pytest.raises(NotFound):
            anonymous.action.package_show(id=d.name)


def test_a_planted_citizen_id_stops_its_dataset(lake, ckan_portal, tmp_path) -> None:
    warehouse = _copy_warehouse(lake, tmp_path)
    settings = _settings(lake, ckan_portal, warehouse_path=warehouse)
    planted = make_citizen_id("110107", dt.date(1988, 3, 9), 41, False)
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "update resources.hotel set hotel_name = ? "
            "where hotel_code = (select min(hotel_code) from resources.hotel)",
            [f"联系人证件 {planted}"],
        )
    report = publish(settings, only=["hotel", "scenic_spot"])
    outcome = {d.resource_id: d for d in report.datasets}
    assert outcome["scenic_spot"].outcome == "created"
    hotel = outcome["hotel"]
    assert hotel.outcome == "refused" and hotel.uploads == []
    assert {(h["file"], h["column"], h["row"]) for h in hotel.hits} == {
        ("hotel.csv", "hotel_name", 1), ("hotel.parquet", "hotel_name", 1),
        ("hotel.json", "hotel_name", 1),
    }  # fmt: skip
    assert "hotel.csv: column hotel_name, row 1: citizen ID" in hotel.detail
    assert planted not in json.dumps(report.to_dict(), ensure_ascii=False)
    assert any("hotel" in p for p in report.problems)  # a leak caught is a failed run
    with pytest.raises(NotFound):
        _anonymous(ckan_portal).action.package_show(id=hotel.name)


def test_ckan_stopped_mid_sync_then_the_rerun_completes_without_duplicates(lake, ckan_portal):
    from urllib.parse import urlsplit

    from govlake.publish.portal import Portal

    settings = _settings(lake, ckan_portal, publish_retry_seconds=1)
    only = ["scenic_spot", "hotel", "tourism_monthly"]
    portal = Portal(ckan_portal.home, urlsplit(ckan_portal.url).port)
    creates: list[str] = []

    def stop_ckan(n: int, action: str) -> None:
        if action == "resource_create":
            creates.append(action)
            if len(creates) == 6:  # the second file of the second dataset has just been created
                portal.stop()  # for real: every portal process ends

    try:
        first = publish(settings, only=only, on_operation=stop_ckan)
    finally:
        info = portal.start()
    assert len(creates) == 6 and first.counts["failed"] >= 1, first.summary_line()
    assert any("did not complete" in d.detail for d in first.datasets if d.outcome == "failed")
    admin = _admin(ckan_portal)
    candidates = _candidates(settings.warehouse)
    second_name = mapping.dataset_name(candidates[only[1]].code, settings.publish_name_suffix)
    half = admin.action.package_show(id=second_name)  # what the crash left behind
    assert len(half["resources"]) == 2 and mapping.FINGERPRINT_KEY not in mapping.extras(half)
    assert half["resources"][1][mapping.SHA_KEY] == ""  # uploaded, but never confirmed
    settings = settings.model_copy(update={"ckan_token": SecretStr(info.api_token)})
    second = publish(settings, only=only)
    assert second.problems == [] and second.counts["failed"] == 0
    for rid in only:
        name = mapping.dataset_name(candidates[rid].code, settings.publish_name_suffix)
        hits = admin.action.package_search(q=f"name:{name}", include_private=True)
        assert hits["count"] == 1
        package = admin.action.package_show(id=name)
        assert sorted(r[mapping.FILE_KEY] for r in package["resources"]) == FILE_KEYS
        [csv] = [r for r in package["resources"] if r[mapping.FILE_KEY] == "csv"]
        total = admin.action.datastore_search(resource_id=csv["id"], limit=0)["total"]
        assert total == _rows(settings.warehouse, candidates[rid].relation)
    assert publish(settings, only=only).uploads == 0


def test_publish_dag_under_dag_test(published, ckan_portal, monkeypatch) -> None:
    """The DAG is wiring: scheduled on the open products and the catalogue, one task whose
    outlet is the portal's Asset; run with dag.test() it re-syncs (nothing to upload)."""
    from govlake import airflow_local
    from govlake.settings import get_settings

    settings, first = published
    for key, value in {
        "GOVLAKE_LAKE_ROOT": str(settings.lake_root), "GOVLAKE_HMAC_KEY": KEY,
        "GOVLAKE_CKAN_URL": ckan_portal.url, "GOVLAKE_CKAN_TOKEN": ckan_portal.api_token,
        "GOVLAKE_PUBLISH_NAME_SUFFIX": settings.publish_name_suffix,
    }.items():  # fmt: skip
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    try:
        airflow_local.migrate()
        bag = airflow_local.dagbag()
        assert bag.import_errors == {}
        dag = bag.dags["publish"]
        condition = dag.timetable.asset_condition
        assert type(condition).__name__ == "AssetAll"
        assert {a.uri for a in condition.objects} == {
            "govlake://warehouse/open", "govlake://lake/catalogue",
        }  # fmt: skip
        [task] = dag.tasks
        assert [o.uri for o in task.outlets] == ["govlake://ckan/open-data"]
        reports = settings.lake_root / "publish" / "reports"
        before = set(reports.glob("sync-*.json"))
        outcome = airflow_local.run_dag(dag)
        assert outcome.ok, outcome
        [new] = set(reports.glob("sync-*.json")) - before
        written = json.loads(new.read_text(encoding="utf-8"))
        assert written["counts"]["unchanged"] == first.counts["created"]
        assert written["uploads"] == 0 and ckan_portal.api_token not in new.read_text()
    finally:
        get_settings.cache_clear()


def test_cli_dry_run_prints_the_plan_and_never_the_token(lake, monkeypatch) -> None:
    from typer.testing import CliRunner

    from govlake.cli import app
    from govlake.settings import get_settings

    token = "secret-token-" + uuid.uuid4().hex
    for key, value in {
        "GOVLAKE_LAKE_ROOT": str(lake), "GOVLAKE_HMAC_KEY": KEY,
        "GOVLAKE_CKAN_URL": "http://127.0.0.1:9", "GOVLAKE_CKAN_TOKEN": token,
    }.items():  # fmt: skip
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["publish", "--dry-run"], env={"COLUMNS": "200"})
        config = CliRunner().invoke(app, ["config"], env={"COLUMNS": "200"})
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "CKAN unreachable" in result.output and "refused" in result.output
    assert "309001003-000001" in result.output
    assert token not in result.output and token not in config.output
    reports = sorted((lake / "publish" / "reports").glob("plan-*.json"))
    assert reports and token not in reports[-1].read_text(encoding="utf-8")


def test_5xx_answers_are_retried_with_backoff(ckan_portal) -> None:
    """A real HTTP server in front of CKAN answers 503 twice (a proxy while CKAN restarts),
    then passes requests on: the call succeeds; with no budget left it is a clear error."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from govlake.publish.sync import Client, Target, Transient

    answers: list[int] = []

    class Flaky(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if len(answers) < 2:
                answers.append(503)
                self.send_response(503)
                self.end_headers()
                self.wfile.write(b"<html>Service Unavailable</html>")
                return
            upstream = requests.post(ckan_portal.url + self.path, data=body, timeout=30,
                                     headers={"Content-Type": "application/json"})  # fmt: skip
            answers.append(upstream.status_code)
            self.send_response(upstream.status_code)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(upstream.content)

        def log_message(self, *args) -> None:
            pass

    with ThreadingHTTPServer(("127.0.0.1", 0), Flaky) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        target = Target(f"http://127.0.0.1:{server.server_address[1]}", "unused", "flaky proxy")
        try:
            client = Client(target, retry_seconds=10)
            assert client.call("status_show")["ckan_version"].startswith("2.")
            assert answers == [503, 503, 200] and client.calls == 3
            answers.clear()
            with pytest.raises(Transient, match="did not complete status_show: _ServerError"):
                Client(target, retry_seconds=0).call("status_show")
        finally:
            server.shutdown()


def test_withdraw_delete_then_open_again(lake, ckan_portal, tmp_path) -> None:
    warehouse = _copy_warehouse(lake, tmp_path)
    settings = _settings(lake, ckan_portal, warehouse_path=warehouse, publish_withdraw="delete")
    assert publish(settings, only=["scenic_spot"]).counts["created"] == 1
    name = mapping.dataset_name("309001001/000001", settings.publish_name_suffix)
    update = (
        "update catalogue.catalogue_resource set open_type = ? where resource_id = 'scenic_spot'"
    )
    with duckdb.connect(str(warehouse)) as con:
        con.execute(update, ["不予开放"])
    [gone] = publish(settings, only=["scenic_spot"]).datasets
    assert (gone.outcome, gone.detail.split(":")[0]) == ("withdrawn", "deleted")
    with pytest.raises((NotFound, NotAuthorized)):
        _anonymous(ckan_portal).action.package_show(id=name)
    assert _admin(ckan_portal).action.package_show(id=name)["state"] == "deleted"
    with duckdb.connect(str(warehouse)) as con:
        con.execute(update, ["无条件开放"])
    [back] = publish(settings, only=["scenic_spot"]).datasets
    assert back.outcome == "updated" and back.uploads == []  # its files were still there
    package = _anonymous(ckan_portal).action.package_show(id=name)
    assert package["state"] == "active" and len(package["resources"]) == 4


def test_a_wrong_token_is_a_clear_error(lake, ckan_portal) -> None:
    settings = Settings(lake_root=lake, ckan_url=ckan_portal.url, ckan_token="not-a-token")
    with pytest.raises(PublishError, match=r"not authorised \(GOVLAKE_CKAN_TOKEN") as caught:
        publish(settings)
    assert "not-a-token" not in str(caught.value)


def test_above_the_datastore_limit_only_files_and_the_dataset_says_so(lake, ckan_portal):
    settings = _settings(lake, ckan_portal, publish_datastore_max_rows=10)
    report = publish(settings, only=["open_tourism_monthly", "scenic_spot"])  # 120 and 5 rows
    assert report.counts["created"] == 2
    admin = _admin(ckan_portal)
    for code, rows, loaded in (("202001004/000001", 120, False), ("309001001/000001", 5, True)):
        package = admin.action.package_show(
            id=mapping.dataset_name(code, settings.publish_name_suffix)
        )
        [csv] = [r for r in package["resources"] if r[mapping.FILE_KEY] == "csv"]
        assert bool(csv.get("datastore_active")) is loaded
        assert len(package["resources"]) == 4  # the files either way
        says = mapping.extras(package)["datastore"]
        if loaded:
            assert says == f"loaded: {rows:,} rows"
        else:
            assert (
                says == f"files only: {rows:,} rows > 10" and "仅提供文件下载" in package["notes"]
            )


def test_dcat_shows_what_was_published(published, ckan_portal) -> None:
    """ckanext-dcat on the portal serialises the dataset the publisher made."""
    settings, _ = published
    c = _candidates(settings.warehouse)["investment_project"]  # 有条件开放
    name = mapping.dataset_name(c.code, settings.publish_name_suffix)
    ttl = requests.get(f"{ckan_portal.url}/dataset/{name}.ttl", timeout=30)
    text = ttl.content.decode("utf-8")
    assert ttl.status_code == 200 and c.resource["name"] in text
    assert f'dct:identifier "{c.code}"' in text  # the resource code, as in the catalogue's DCAT
    assert "dct:spatial <https://data.bjsjs.gov.cn/catalogue/area/110107>" in text
    assert text.count("dcat:distribution") == 1 and text.count("/resource/") >= 4
