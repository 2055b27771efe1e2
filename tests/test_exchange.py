"""The shared exchange (共享交换) on a tiny lake built by dbt: request and approval flows, refusals
(不予共享, 涉密), column and row scoping recomputed independently from the accepted rows and the
warehouse, expiry and revocation, idempotent reruns, a delivery killed mid-write, the audit
chain against an edited, a deleted and a reordered entry, personal fields and grantee
pseudonyms, demands, and the CLI's errors."""
# ruff: noqa: F811 — the exchange_fixture fixtures are the tests' arguments

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from accepted_batches import generate as fixture
from exchange_fixture import DAY, KEY, ROOT, STREETS, built, lake, rules  # noqa: F401

from govlake.exchange import Exchange, ExchangeError, read_state
from govlake.exchange import log as xlog
from govlake.exchange.deliver import deliver, snapshot_batch
from govlake.exchange.rules import parse_condition
from govlake.lake import Lake

pytestmark = pytest.mark.integration


def until(days: int = 365) -> str:
    return (dt.date.today() + dt.timedelta(days=days)).isoformat()


def outbox(lake: Lake, grantee: str, resource: str) -> list[Path]:
    return sorted((lake.root / "exchange" / grantee / resource).glob("*.parquet"))


def accepted_rows(lake: Lake, resource: str) -> list[dict]:
    """The accepted rows read here, not by the exchange: every part minus its deletion vector."""
    rows = []
    for part in sorted(lake.accepted(resource).glob("batch_date=*/part-*.parquet")):
        table = pq.read_table(part)
        deletes = lake.accepted_deletes(resource) / part.parent.name / part.name
        gone = set(pq.read_table(deletes)["_source_row"].to_pylist()) if deletes.exists() else set()
        rows += [r for r in table.to_pylist() if r["_source_row"] not in gone]
    return rows


def clean(value: str | None) -> str | None:
    return None if value is None else unicodedata.normalize("NFKC", value).strip()


def grantee_hmac(grantee: str, value: str) -> str:
    key = hmac.new(KEY.encode(), b"govlake-exchange-grantee:" + grantee.encode(), "sha256")
    return hmac.new(key.digest(), value.encode(), hashlib.sha256).hexdigest()


# --- requests, decisions, refusals ------------------------------------------------------------


def test_request_approval_flow_and_its_history(lake, rules) -> None:
    ex = Exchange(rules, lake)
    req = ex.request(
        "civil_affairs", "registered_person", purpose="核对救助申请人", legal_basis="gov_sharing",
        until=until(), columns=["sex", "street_code"], by="王科员",
    )  # fmt: skip
    assert (req.status, req.provider) == ("pending", "police")
    with pytest.raises(ExchangeError, match="only the provider of registered_person"):
        ex.approve(req.id, "health")
    with pytest.raises(ExchangeError, match="did not ask for"):
        ex.approve(req.id, "police", columns=["birth_date"])
    grant = ex.approve(req.id, "police", columns=["street_code"], reason="限街道代码")
    assert grant.columns == ["street_code"] and grant.source == req.id
    with pytest.raises(ExchangeError, match="already approved"):
        ex.reject(req.id, "police", reason="too late")

    other = ex.request(
        "tax", "social_insurance_enrolment", purpose="个税核对", legal_basis="gov_sharing",
        until=until(),
    )  # fmt: skip
    with pytest.raises(ExchangeError, match="gives its reason"):
        ex.reject(other.id, "hrss", reason=" ")
    ex.reject(other.id, "hrss", reason="用途不符")
    state = read_state(lake)
    assert state.requests[other.id].status == "rejected"
    assert state.requests[other.id].reason == "用途不符"

    entries = xlog.read_log(lake)
    assert [e["kind"] for e in entries] == ["request", "decision", "grant", "request", "decision"]
    first = entries[0]
    assert (first["actor"], first["by"], first["purpose"]) == (
        "civil_affairs",
        "王科员",
        "核对救助申请人",
    )
    assert entries[1]["actor"] == "police" and entries[1]["reason"] == "限街道代码"
    assert all(dt.datetime.fromisoformat(e["at"]).tzinfo for e in entries)


def test_subscriptions_are_for_unconditional_resources(lake, rules) -> None:
    ex = Exchange(rules, lake)
    grant = ex.subscribe("hrss", "enterprise_registration")
    assert "legal_representative" not in grant.columns  # personal: never by subscription
    with pytest.raises(ExchangeError, match="personal information"):
        ex.subscribe("tax", "enterprise_registration", columns=["credit_code", "法定代表人"])
    with pytest.raises(ExchangeError, match="有条件共享: subscriptions are for 无条件共享"):
        ex.subscribe("health", "registered_person")
    with pytest.raises(ExchangeError, match="already holds grant"):
        ex.subscribe("hrss", "enterprise_registration")


@pytest.mark.parametrize(
    ("resource", "reason"),
    [("tax_payment", "不予共享: 《中华人民共和国税收征收管理法》"), ("air_defence_work", "涉密")],
)
def test_not_shared_and_classified_are_refused(lake, rules, resource, reason) -> None:
    ex = Exchange(rules, lake)
    with pytest.raises(ExchangeError, match=reason):
        ex.request("health", resource, purpose="x", legal_basis="pipl_duty", until=until())
    with pytest.raises(ExchangeError, match=reason):
        ex.subscribe("health", resource)
    refusals = read_state(lake).refusals
    assert [(r.requester, r.resource) for r in refusals] == [("health", resource)] * 2
    assert not read_state(lake).grants


def test_classified_is_never_delivered_whatever_the_log_grants(lake, rules) -> None:
    """A grant written into the log by hand (no command allows it) still delivers nothing."""
    with xlog.locked(lake):
        xlog.append(
            lake, "grant", "civil_defence", id="GR-0001", grantee="police",
            resource="air_defence_work", provider="civil_defence", columns=["work_code"],
            clear=[], rows=[], legal_basis="pipl_duty", valid_from=DAY.isoformat(),
            valid_until=None, csv=False, source="forged",
        )  # fmt: skip
    report = deliver(rules)
    assert report.delivered == []
    assert any("涉密" in p for p in report.problems)
    assert not (lake.root / "exchange" / "police").exists()


# --- scoping ----------------------------------------------------------------------------------


def test_columns_and_rows_of_a_department_batch_are_exact(lake, rules) -> None:
    ex = Exchange(rules, lake)
    req = ex.request(
        "civil_affairs", "registered_person", purpose="社会救助核对",
        legal_basis="social_assistance", until=until(),
        columns=["citizen_id", "姓名", "sex", "street_code"],
        rows=[parse_condition(f"street_code in ({', '.join(STREETS)})")],
    )  # fmt: skip
    ex.approve(req.id, "police")
    report = deliver(rules)
    [file] = outbox(lake, "civil_affairs", "registered_person")
    got = pq.read_table(file)
    assert got.column_names == ["citizen_id", "person_name", "sex", "street_code"]

    expected = [
        ("".join(unicodedata.normalize("NFKC", r["citizen_id"]).split()).upper()
         if r["citizen_id"] else None, r["person_name"], r["sex"], r["street_code"])
        for r in accepted_rows(lake, "registered_person")
        if clean(r["street_code"]) in STREETS
    ]  # fmt: skip
    assert 0 < len(expected) < len(accepted_rows(lake, "registered_person"))
    assert [tuple(r.values()) for r in got.to_pylist()] == expected
    assert report.delivered[0]["rows"] == len(expected)


def test_rows_of_a_derived_resource_and_grantee_pseudonyms(lake, rules) -> None:
    ex = Exchange(rules, lake)
    grants = {}
    for grantee in ("health", "civil_affairs"):
        req = ex.request(
            grantee, "base_person", purpose="老年人服务", legal_basis="gov_sharing", until=until(),
            columns=["person_key", "age", "street_code"], rows=[parse_condition("age >= 60")],
        )  # fmt: skip
        grants[grantee] = ex.approve(req.id, "data_bureau")
    deliver(rules)
    with duckdb.connect(str(lake.root / "warehouse.duckdb"), read_only=True) as con:
        truth = con.execute(
            "select person_key, age, street_code from base.base_person where age >= 60"
        ).fetchall()
        everyone = con.execute("select count(*) from base.base_person").fetchone()[0]
    assert 0 < len(truth) < everyone
    keys = {}
    for grantee in grants:
        [file] = outbox(lake, grantee, "base_person")
        got = pq.read_table(file)
        assert got.column_names == ["person_key", "age", "street_code"]
        expected = {(grantee_hmac(grantee, k), a, s) for k, a, s in truth}
        assert {tuple(r.values()) for r in got.to_pylist()} == expected
        keys[grantee] = set(got["person_key"].to_pylist())
    lake_keys = {k for k, _, _ in truth}
    assert not keys["health"] & keys["civil_affairs"]  # the two grantees cannot join
    assert not keys["health"] & lake_keys  # nor join with the lake's own pseudonym


def test_no_personal_field_that_was_not_granted(lake, rules) -> None:
    ex = Exchange(rules, lake)
    req = ex.request(
        "health", "registered_person", purpose="健康档案", legal_basis="gov_sharing",
        until=until(), columns=["citizen_id", "sex", "street_code"],
    )  # fmt: skip
    assert req.clear == []  # gov_sharing does not allow personal information in clear
    with pytest.raises(ExchangeError, match="personal information"):
        ex.request(
            "health", "registered_person", purpose="x", legal_basis="gov_sharing",
            until=until(), columns=["person_name"],
        )  # fmt: skip
    ex.approve(req.id, "police")
    hrss = ex.request(
        "hrss", "registered_person", purpose="就业服务", legal_basis="gov_sharing", until=until(),
        columns=["citizen_id_key", "sex"],
    )  # fmt: skip
    ex.approve(hrss.id, "police")
    deliver(rules)

    rows = accepted_rows(lake, "registered_person")
    personal = {r["citizen_id"] for r in rows} | {r["person_name"] for r in rows}
    lake_keys = {r["citizen_id_key"] for r in rows}
    seen = {}
    for grantee in ("health", "hrss"):
        [file] = outbox(lake, grantee, "registered_person")
        got = pq.read_table(file)
        assert "citizen_id" not in got.column_names and "person_name" not in got.column_names
        assert "citizen_id_key" in got.column_names
        values = {v for col in got.columns for v in col.to_pylist()}
        assert not values & personal and not values & lake_keys
        seen[grantee] = got["citizen_id_key"].to_pylist()
        expected = [grantee_hmac(grantee, r["citizen_id_key"]) if r["citizen_id_key"] else None
                    for r in rows]  # fmt: skip
        assert seen[grantee] == expected
    assert not set(seen["health"]) & set(seen["hrss"]) - {None}


# --- periods, revocation, reruns, a killed delivery ------------------------------------------


def test_expiry_and_revocation_stop_delivery(lake, rules, register) -> None:
    ex = Exchange(rules, lake)
    short = ex.request(
        "health", "household", purpose="x", legal_basis="gov_sharing", until=until(10),
        columns=["household_id", "street_code"],
    )  # fmt: skip
    g_short = ex.approve(short.id, "police")
    g_sub = ex.subscribe("tourism", "economic_indicator")
    after = dt.date.today() + dt.timedelta(days=11)
    report = deliver(rules, on=after)
    assert report.inactive == {g_short.id: "expired"}
    assert [d["grant"] for d in report.delivered] == [g_sub.id]
    assert outbox(lake, "health", "household") == []

    ex.revoke(g_sub.id, "statistics", reason="指标口径调整")
    with pytest.raises(ExchangeError, match="already revoked"):
        ex.revoke(g_sub.id, "statistics", reason="again")
    with pytest.raises(ExchangeError, match="only police \\(provider\\) or health"):
        ex.revoke(g_short.id, "tourism", reason="x")
    fixture(lake.root, register, scale="tiny", batch_date=DAY + dt.timedelta(days=1),
            key=KEY.encode(), only={"economic_indicator"})  # fmt: skip
    try:
        report = deliver(rules, on=after)
        assert report.delivered == []
        assert report.inactive == {g_short.id: "expired", g_sub.id: "revoked"}
        assert len(outbox(lake, "tourism", "economic_indicator")) == 1
    finally:
        shutil.rmtree(
            lake.accepted("economic_indicator") / f"batch_date={DAY + dt.timedelta(days=1)}"
        )


def test_reruns_deliver_nothing_twice_and_new_batches_once(lake, rules, register) -> None:
    ex = Exchange(rules, lake)
    ex.subscribe("tourism", "medical_institution", csv=True)
    ex.subscribe("tourism", "base_legal_entity")
    first = deliver(rules)
    assert {d["resource"] for d in first.delivered} == {"medical_institution", "base_legal_entity"}
    files = sorted((lake.root / "exchange" / "tourism").rglob("*.*"))
    assert {f.suffix for f in files} == {".parquet", ".csv"}
    stamps = {f: f.stat().st_mtime_ns for f in files}
    assert deliver(rules).delivered == []
    assert {f: f.stat().st_mtime_ns for f in files} == stamps

    day2 = DAY + dt.timedelta(days=1)
    fixture(lake.root, register, scale="tiny", batch_date=day2, key=KEY.encode(),
            only={"medical_institution"})  # fmt: skip
    try:
        second = deliver(rules)
        # the department batch at once; the base database only once a build has taken it in
        assert [(d["resource"], d["batch"]) for d in second.delivered] == [
            ("medical_institution", next(
                p.stem.removeprefix("part-")
                for p in lake.accepted("medical_institution").glob(f"batch_date={day2}/*.parquet")
            ))
        ]  # fmt: skip
        assert deliver(rules).delivered == []
        receipts = read_state(lake).deliveries
        assert len(receipts) == 3
        for r in receipts:
            path = lake.root / r["files"][0]["path"]
            assert hashlib.sha256(path.read_bytes()).hexdigest() == r["sha256"]
            assert pq.read_metadata(path).num_rows == r["rows"]
    finally:
        shutil.rmtree(lake.accepted("medical_institution") / f"batch_date={day2}")


def test_snapshot_of_a_derived_resource_moves_with_its_sources_only() -> None:
    files = {
        "accepted/registered_person/batch_date=2026-11-02/part-a.parquet": [10, 1],
        "accepted/hotel/batch_date=2026-11-03/part-b.parquet": [20, 2],
    }
    one = snapshot_batch(files, {"registered_person"})
    assert one is not None and one.id.startswith("2026-11-02-")
    more = files | {"accepted/hotel/batch_date=2026-11-04/part-c.parquet": [5, 3]}
    assert snapshot_batch(more, {"registered_person"}) == one  # not its source
    newer = files | {"accepted/registered_person/batch_date=2026-11-05/part-d.parquet": [5, 3]}
    assert snapshot_batch(newer, {"registered_person"}).id.startswith("2026-11-05-")
    assert snapshot_batch(files, {"tax_payment"}) is None


KILLED = """
import os, sys
import pyarrow.parquet as pq

def dying(table, where, **kwargs):  # the process dies with half a file written
    with open(where, "wb") as fh:
        fh.write(b"PAR1" + bytes(4096))
    os._exit(137)

pq.write_table = dying
from govlake.exchange import load_rules
from govlake.exchange.deliver import deliver
deliver(load_rules())
"""


def test_a_delivery_killed_mid_write_leaves_no_partial_file(lake, rules) -> None:
    """The writer is replaced so that the process dies (os._exit) half-way through a file: a
    kill at that exact point cannot be timed from outside."""
    Exchange(rules, lake).subscribe("health", "hotel")
    died = subprocess.run([sys.executable, "-c", KILLED], capture_output=True, timeout=120)
    assert died.returncode == 137, died.stderr.decode()
    folder = lake.root / "exchange" / "health" / "hotel"
    assert list(folder.glob("*.parquet")) == []
    assert next(p.name for p in folder.iterdir()).endswith(".partial")
    assert read_state(lake).deliveries == []
    report = deliver(rules)
    assert len(report.delivered) == 1
    assert [p.suffix for p in folder.iterdir()] == [".parquet"]
    assert pq.read_table(next(folder.glob("*.parquet"))).num_rows == report.delivered[0]["rows"]
    assert xlog.verify(lake).ok


# --- the audit chain --------------------------------------------------------------------------


@pytest.fixture
def chain(lake, rules) -> Path:
    ex = Exchange(rules, lake)
    ex.subscribe("health", "hotel")
    ex.subscribe("health", "scenic_spot")
    deliver(rules)
    ex.demand("tax", what="学校名录", why="教育费附加核定", wants=["学校代码"])
    path = xlog.log_path(lake)
    assert len(path.read_text(encoding="utf-8").splitlines()) == 5
    assert xlog.verify(lake).ok
    return path


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def test_audit_finds_an_edited_entry(lake, chain) -> None:
    lines = _lines(chain)
    entry = json.loads(lines[2])
    entry["rows"] = entry["rows"] + 1  # a receipt claiming one row more
    lines[2] = json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n"
    chain.write_text("".join(lines), encoding="utf-8")
    verdict = xlog.verify(lake)
    assert (verdict.bad, verdict.ok) == (3, False)
    assert "entry 3 (line 3) was changed" in verdict.reason


def test_audit_finds_an_edit_with_its_hash_recomputed(lake, chain) -> None:
    lines = _lines(chain)
    entry = json.loads(lines[1])
    entry["grantee"] = "tax"
    entry["hash"] = xlog.entry_hash(entry)
    lines[1] = json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n"
    chain.write_text("".join(lines), encoding="utf-8")
    verdict = xlog.verify(lake)
    assert verdict.bad == 3 and "does not follow" in verdict.reason


def test_audit_finds_a_deleted_entry(lake, chain) -> None:
    lines = _lines(chain)
    chain.write_text("".join(lines[:1] + lines[2:]), encoding="utf-8")
    verdict = xlog.verify(lake)
    assert verdict.bad == 2 and "entry 2 was removed" in verdict.reason


def test_audit_finds_entries_removed_from_the_end(lake, chain) -> None:
    chain.write_text("".join(_lines(chain)[:3]), encoding="utf-8")
    verdict = xlog.verify(lake)
    assert verdict.bad == 4 and "entries 4..5 were removed" in verdict.reason


def test_audit_finds_reordered_entries(lake, chain) -> None:
    lines = _lines(chain)
    lines[2], lines[3] = lines[3], lines[2]
    chain.write_text("".join(lines), encoding="utf-8")
    verdict = xlog.verify(lake)
    assert verdict.bad == 3 and "out of order" in verdict.reason


def test_audit_cli_names_the_first_bad_entry(lake, chain) -> None:
    from typer.testing import CliRunner

    from govlake.cli import app

    ok = CliRunner().invoke(app, ["exchange", "audit", "--verify"])
    assert ok.exit_code == 0 and "5 entries" in ok.output
    lines = _lines(chain)
    chain.write_text("".join(lines[:1] + lines[2:]), encoding="utf-8")
    bad = CliRunner().invoke(app, ["exchange", "audit", "--verify"])
    assert bad.exit_code == 1 and "entry 2 was removed" in bad.output


# --- demands and the CLI ----------------------------------------------------------------------


def test_a_demand_closes_when_a_resource_meets_it(lake, rules) -> None:
    ex = Exchange(rules, lake)
    met = ex.demand("health", what="宾馆名录", why="公共卫生检查", holder="tourism",
                    wants=["统一社会信用代码"])  # fmt: skip
    other = ex.demand("tax", what="学校名录", why="x", holder="education", wants=["学校代码"])
    assert ex.match_demands() == [(met.id, "hotel")]
    state = read_state(lake)
    assert state.demands[met.id].status == "closed" and state.demands[met.id].resource == "hotel"
    assert state.demands[other.id].status == "open"
    assert ex.match_demands() == []
    with pytest.raises(ExchangeError, match="already closed"):
        ex.close_demand(met.id, "hotel", "data_bureau")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["subscribe", "hotel", "--as", "nobody"], "unknown department 'nobody'"),
        (["subscribe", "no_such", "--as", "health"], "unknown resource 'no_such'"),
        (["subscribe", "hotel", "--as", "health", "--columns", "hotel_code,stars"],
         "no column 'stars'"),
        (["request", "registered_person", "--as", "health", "--purpose", "x", "--basis",
          "gov_sharing", "--until", "2099-01-01", "--rows", "age >= 60"], "no column 'age'"),
        (["request", "registered_person", "--as", "health", "--purpose", "x", "--basis",
          "no_basis", "--until", "2099-01-01"], "unknown legal basis"),
        (["approve", "REQ-0099", "--as", "police"], "unknown request 'REQ-0099'"),
        (["revoke", "GR-0099", "--as", "police", "--reason", "x"], "unknown grant"),
        (["request", "tax_payment", "--as", "health", "--purpose", "x", "--basis",
          "gov_sharing", "--until", "2099-01-01"], "不予共享"),
    ],
)  # fmt: skip
def test_cli_errors_are_clear(lake, args, message) -> None:
    from typer.testing import CliRunner

    from govlake.cli import app

    result = CliRunner().invoke(app, ["exchange", *args])
    assert result.exit_code == 1, result.output
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_cli_request_approve_deliver(lake) -> None:
    from typer.testing import CliRunner

    from govlake.cli import app

    run = CliRunner().invoke
    made = run(app, [
        "exchange", "request", "household", "--as", "statistics", "--purpose", "抽样框",
        "--basis", "statistics_law", "--until", until(), "--columns", "household_id,street_code",
        "--rows", "member_count >= 3",
    ])  # fmt: skip
    assert made.exit_code == 0 and "REQ-0001" in made.output, made.output
    assert run(app, ["exchange", "approve", "REQ-0001", "--as", "health"]).exit_code == 1
    assert run(app, ["exchange", "approve", "REQ-0001", "--as", "police"]).exit_code == 0
    out = run(app, ["exchange", "deliver"])
    assert out.exit_code == 0, out.output
    [file] = outbox(lake, "statistics", "household")
    got = pq.read_table(file)
    counts = [clean(r["member_count"]) for r in accepted_rows(lake, "household")]
    members = pc.cast(pa.array(counts), pa.float64())
    assert got.num_rows == pc.sum(pc.greater_equal(members, 3)).as_py() > 0
    listed = run(app, ["exchange", "list", "deliveries"])
    assert "household" in listed.output


# --- Airflow ----------------------------------------------------------------------------------


def test_exchange_dag_delivers_under_airflow(lake, rules) -> None:
    """The exchange DAG (real Airflow, dag.test()) delivers, writes the site, and a rerun
    delivers nothing."""
    from govlake import airflow_local

    airflow_local.migrate()
    bag = airflow_local.dagbag()
    Exchange(rules, lake).subscribe("tourism", "base_indicator", csv=True)
    assert airflow_local.run_dag(bag.dags["exchange"]).state == "success"
    [receipt] = read_state(lake).deliveries
    assert receipt["grantee"] == "tourism" and receipt["resource"] == "base_indicator"
    assert len(list((lake.root / "exchange" / "tourism" / "base_indicator").iterdir())) == 2
    page = lake.root / "catalogue" / "site" / "department" / "tourism.html"
    assert receipt["batch"] in page.read_text(encoding="utf-8")
    assert airflow_local.run_dag(bag.dags["exchange"]).state == "success"
    assert len(read_state(lake).deliveries) == 1


# --- the site ---------------------------------------------------------------------------------


@pytest.mark.browser
def test_site_shows_grants_deliveries_requests_and_demands(
    lake, rules, page, page_log, screenshot, serve
) -> None:
    """The sample activity, delivered, as a department sees it in Chromium (no network)."""
    from govlake.exchange.sample import seed_sample
    from govlake.pipeline import exchange_step

    counts = seed_sample(rules, lake, ROOT / "catalog")
    assert counts == {"subscriptions": 3, "requests": 4, "demands": 1}
    summary = exchange_step()
    assert summary["problems"] == [] and summary["delivered"]
    state = read_state(lake)
    base = serve(lake.root / "catalogue" / "site")

    page.goto(f"{base}/exchange.html")
    demand = page.locator('#demands tr[data-demand="DEM-0001"]')
    assert "辖区中小学校和幼儿园名录" in demand.inner_text() and "待对接" in demand.inner_text()
    [pending] = [r for r in state.requests.values() if r.status == "pending"]
    assert page.locator(f'#pending tr[data-request="{pending.id}"]').is_visible()
    assert page.locator("#grants tbody tr").count() == len(state.grants)
    screenshot("exchange")

    demand.get_by_role("link", name="石景山区卫生健康委员会").click()
    page.wait_for_url("**/department/health.html")
    received = page.locator("#receives")
    mine = {g.id for g in state.grants.values() if g.grantee == "health"}
    shown = {t.get_attribute("data-grant") for t in received.locator("tr[data-grant]").all()}
    assert shown == mine
    batches = {d["batch"] for d in state.deliveries if d["grantee"] == "health"}
    rows = received.locator("tr[data-batch]")
    assert {r.get_attribute("data-batch") for r in rows.all()} == batches
    assert "DEM-0001" in page.locator("#demands").inner_text()
    screenshot("department")
    page.goto(f"{base}/department/police.html")
    given = {t.get_attribute("data-grant") for t in page.locator("#gives tr[data-grant]").all()}
    assert given == {g.id for g in state.grants.values() if g.provider == "police"}
    assert pending.id in page.locator("#requests").inner_text()  # awaiting its decision
    page.goto(f"{base}/department/health.html")

    grant = next(g for g in state.grants.values() if g.resource == "base_person")
    received.locator(f'tr[data-grant="{grant.id}"]').get_by_role("link").first.click()
    page.wait_for_url("**/resource/101001001-000001.html")
    section = page.locator("#exchange")
    assert section.locator(f'tr[data-grant="{grant.id}"]').is_visible()
    assert "age >= 60" in section.inner_text()
    [receipt] = [d for d in state.deliveries if d["resource"] == "base_person"]
    row = section.locator(f'tr[data-batch="{receipt["batch"]}"]')
    assert f"{receipt['rows']:,}" in row.inner_text()
    screenshot("resource")
    assert page_log.blocked == page_log.failed == page_log.errors == []


def test_govlake_sample_records_the_sample_activity_once(lake_root: Path) -> None:
    from typer.testing import CliRunner

    from govlake.cli import app

    result = CliRunner().invoke(app, ["sample", "--scale", "tiny", "--seed", "5"])
    assert result.exit_code == 0, result.output
    assert "exchange sample: 3 subscriptions, 4 requests, 1 demands" in result.output
    state = read_state(Lake(lake_root))
    statuses = sorted(r.status for r in state.requests.values())
    assert statuses == ["approved", "approved", "pending", "rejected"]
    assert len(state.grants) == 5 and len(state.demands) == 1
    again = CliRunner().invoke(app, ["sample", "--scale", "tiny", "--seed", "5"])
    assert again.exit_code == 0 and "exchange sample" not in again.output
    assert read_state(Lake(lake_root)).grants.keys() == state.grants.keys()


def test_a_cut_last_line_stops_appends_with_a_clear_error(lake, rules) -> None:
    ex = Exchange(rules, lake)
    ex.subscribe("health", "hotel")
    path = xlog.log_path(lake)
    path.write_bytes(path.read_bytes() + b'{"seq":2,"at":"2026-')  # a write cut short
    with pytest.raises(xlog.LogCorrupt, match="line 2 is not a JSON entry"):
        ex.subscribe("health", "scenic_spot")
    verdict = xlog.verify(lake)
    assert verdict.bad == 2 and "not a JSON entry" in verdict.reason


def test_the_provider_may_grant_a_pseudonym_instead_of_the_identifier(lake, rules) -> None:
    ex = Exchange(rules, lake)
    req = ex.request(
        "civil_affairs", "registered_person",
        purpose="x", legal_basis="pipl_duty", until=until(), columns=["citizen_id", "sex"],
    )  # fmt: skip
    assert req.clear == ["citizen_id"]
    grant = ex.approve(req.id, "police", columns=["citizen_id_key", "sex"])
    assert (grant.columns, grant.clear) == (["citizen_id", "sex"], [])
    deliver(rules)
    [file] = outbox(lake, "civil_affairs", "registered_person")
    assert pq.read_schema(file).names == ["citizen_id_key", "sex"]


def test_a_delivered_batch_later_superseded_is_retracted_once(lake, rules) -> None:
    """The manifest entry the quality gate writes when a new version supersedes a batch is
    written here directly (this lake's batches come from the accepted-zone fixture, which has
    no manifest); the exchange reads only its status, batch and successor."""
    from govlake.ingest.manifest import write_entry

    Exchange(rules, lake).subscribe("health", "hotel")
    [first] = deliver(rules).delivered
    write_entry(lake, {
        "resource": "hotel", "path": "tourism/hotel/2026-11-02/hotel.csv", "version": 1,
        "status": "superseded", "batch_id": first["batch"], "batch_date": DAY.isoformat(),
        "reason": "superseded by version 2", "superseded_by": {"batch_id": "b2"},
    })  # fmt: skip
    report = deliver(rules)
    assert report.delivered == []
    assert report.retracted == [{"grantee": "health", "resource": "hotel", "batch": first["batch"]}]
    notice = lake.root / "exchange" / "health" / "hotel" / f"{first['batch']}.retracted.json"
    assert json.loads(notice.read_text(encoding="utf-8"))["replaced_by"] == "b2"
    assert deliver(rules).retracted == []  # told once
    assert [e["kind"] for e in xlog.read_log(lake)][-1] == "retraction"
    shutil.rmtree(lake.manifest("hotel"))
