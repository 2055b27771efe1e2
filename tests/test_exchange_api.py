"""The exchange read API (#15) with FastAPI's TestClient on a tiny lake built by dbt: column and
row scope recomputed independently from the accepted rows and the warehouse, paging by cursor,
filters (outside the grant, unknown, injected), tokens (hash only, revocation) and grant states
(revoked, expired) answering 401/403 with the reason, and every call in the audit chain."""
# ruff: noqa: F811 — the exchange_fixture fixtures are the tests' arguments

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import json
import os
import re
import socket
import subprocess
import sys
import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest
from exchange_fixture import DAY, KEY, ROOT, STREETS, built, lake, rules  # noqa: F401
from fastapi.encoders import jsonable_encoder
from fastapi.testclient import TestClient

from govlake.exchange import Exchange
from govlake.exchange import log as xlog
from govlake.exchange.api import create_app
from govlake.exchange.rules import ExchangeError, parse_condition
from govlake.exchange.tokens import create_token, revoke_token, token_hash
from govlake.lake import Lake

pytestmark = pytest.mark.integration


@pytest.fixture
def client(lake, rules) -> TestClient:
    return TestClient(create_app(rules))


def until(days: int = 365) -> str:
    return (dt.date.today() + dt.timedelta(days=days)).isoformat()


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def accepted_rows(lake: Lake, resource: str) -> list[dict]:
    """The accepted rows read here, not by the exchange: every part minus its deletion vector."""
    import pyarrow.parquet as pq

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


def calls(lake: Lake) -> list[dict]:
    return [e for e in xlog.read_log(lake) if e["kind"] == "api_call"]


def read_all(client: TestClient, token: str, path: str, limit: int, **params) -> list[list]:
    """Every page through the cursor; the pages' rows as lists."""
    pages, cursor = [], None
    while True:
        query = {"limit": limit, **params, **({"cursor": cursor} if cursor else {})}
        r = client.get(path, headers=auth(token), params=query)
        assert r.status_code == 200, r.text
        body = r.json()
        pages.append([list(row.values()) for row in body["rows"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


def test_department_resource_scope_paging_csv_and_audit(lake, rules, client) -> None:
    ex = Exchange(rules, lake)
    req = ex.request(
        "civil_affairs", "registered_person", purpose="社会救助核对",
        legal_basis="social_assistance", until=until(),
        columns=["citizen_id", "姓名", "sex", "street_code"],
        rows=[parse_condition(f"street_code in ({', '.join(STREETS)})")],
    )  # fmt: skip
    grant = ex.approve(req.id, "police")
    token, record = create_token(lake, grant.id, "civil_affairs")

    expected = [
        ["".join(unicodedata.normalize("NFKC", r["citizen_id"]).split()).upper()
         if r["citizen_id"] else None, r["person_name"], r["sex"], r["street_code"]]
        for r in accepted_rows(lake, "registered_person")
        if clean(r["street_code"]) in STREETS
    ]  # fmt: skip
    assert 7 < len(expected) < len(accepted_rows(lake, "registered_person"))
    pages = read_all(client, token, "/v1/resources/registered_person", limit=7)
    assert [len(p) for p in pages[:-1]] == [7] * (len(pages) - 1) and len(pages) > 1
    assert [row for page in pages for row in page] == expected

    r = client.get("/v1/resources/registered_person", headers=auth(token), params={"format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    lines = r.text.splitlines()
    assert lines[0] == '"citizen_id","person_name","sex","street_code"'
    assert len(lines) == 100 + 1 and "X-Next-Cursor" in r.headers  # the default page
    r = client.get(
        "/v1/resources/registered_person", headers=auth(token),
        params={"format": "csv", "limit": 1000},
    )  # fmt: skip
    assert len(r.text.splitlines()) == len(expected) + 1 and "X-Next-Cursor" not in r.headers

    schema = client.get("/v1/resources/registered_person/schema", headers=auth(token)).json()
    assert [f["name"] for f in schema["fields"]] == [
        "citizen_id", "person_name", "sex", "street_code",
    ]  # fmt: skip
    assert schema["fields"][1]["label"] == "姓名"
    listed = client.get("/v1/resources", headers=auth(token)).json()["resources"]
    assert [(x["id"], x["grant"]) for x in listed] == [("registered_person", grant.id)]

    audited = calls(lake)
    assert len(audited) == len(pages) + 4
    first = audited[0]
    assert (first["actor"], first["token"], first["grant"], first["resource"]) == (
        "civil_affairs", record.id, grant.id, "registered_person",
    )  # fmt: skip
    assert first["status"] == 200 and first["rows"] == 7
    assert first["columns"] == ["citizen_id", "person_name", "sex", "street_code"]
    assert sum(c["rows"] for c in audited[: len(pages)]) == len(expected)
    assert xlog.verify(lake).ok


def test_derived_resource_pseudonyms_and_filters(lake, rules, client) -> None:
    ex = Exchange(rules, lake)
    req = ex.request(
        "health", "base_person", purpose="老年人服务", legal_basis="gov_sharing", until=until(),
        columns=["person_key", "age", "street_code"], rows=[parse_condition("age >= 60")],
    )  # fmt: skip
    grant = ex.approve(req.id, "data_bureau")
    token, _ = create_token(lake, grant.id, "health")
    with duckdb.connect(str(lake.root / "warehouse.duckdb"), read_only=True) as con:
        truth = con.execute(
            "select person_key, age, street_code from base.base_person where age >= 60"
        ).fetchall()
    assert len(truth) > 10

    pages = read_all(client, token, "/v1/resources/base_person", limit=10)
    got = [tuple(row) for page in pages for row in page]
    assert len(got) == len(truth)
    assert set(got) == {(grantee_hmac("health", k), a, s) for k, a, s in truth}

    over_70 = read_all(client, token, "/v1/resources/base_person", limit=1000, where="age >= 70")
    assert {tuple(r) for r in over_70[0]} == {
        (grantee_hmac("health", k), a, s) for k, a, s in truth if a >= 70
    }
    # the caller's filter narrows the grant, never widens it
    young = read_all(client, token, "/v1/resources/base_person", limit=1000, where="age < 60")
    assert young == [[]]

    for where, status, message in [
        ("sex = 女", 403, "column sex is outside grant"),
        ("nothing = 1", 400, "has no column 'nothing'"),
        ("age >= 60' or '1'='1", 400, "is not a number"),
        ("street_code = 1' or '1'='1", 200, None),  # bound as data: matches no row
    ]:
        r = client.get("/v1/resources/base_person", headers=auth(token), params={"where": where})
        assert r.status_code == status, r.text
        if message:
            assert message in r.json()["detail"]
        else:
            assert r.json()["rows"] == []
    other = client.get("/v1/resources/registered_person", headers=auth(token))
    assert other.status_code == 403
    assert "covers base_person only" in other.json()["detail"]
    assert [c["status"] for c in calls(lake)][-5:] == [403, 400, 400, 200, 403]
    assert calls(lake)[-5]["filters"] == ["sex = 女"]
    big = client.get("/v1/resources/base_person", headers=auth(token), params={"limit": 5000})
    assert big.status_code == 422
    last = calls(lake)[-1]
    assert (last["status"], last["grant"], last["actor"]) == (422, grant.id, "health")
    assert "limit" in last["reason"]


def test_tokens_and_grant_states_answer_with_the_reason(lake, rules, client) -> None:
    ex = Exchange(rules, lake)
    sub = ex.subscribe("tourism", "economic_indicator")
    token, record = create_token(lake, sub.id, "tourism")
    assert token.startswith("glx_")
    log_text = xlog.log_path(lake).read_text(encoding="utf-8")
    assert token not in log_text and token_hash(token) in log_text
    with pytest.raises(ValueError, match="only the grantee"):
        create_token(lake, sub.id, "health")

    path = "/v1/resources/economic_indicator"
    assert client.get(path, headers=auth(token)).status_code == 200
    assert client.get(path).status_code == 401
    bad = client.get(path, headers=auth(token + "x"))
    assert (bad.status_code, bad.json()["detail"]) == (401, "unknown token")

    revoke_token(lake, record.id, "tourism", reason="系统下线")
    r = client.get(path, headers=auth(token))
    assert (
        r.status_code == 403
        and "revoked" in r.json()["detail"]
        and "系统下线" in r.json()["detail"]
    )

    token2, _ = create_token(lake, sub.id, "tourism")
    assert client.get(path, headers=auth(token2)).status_code == 200
    ex.revoke(sub.id, "statistics", reason="指标口径调整")
    r = client.get(path, headers=auth(token2))
    assert r.status_code == 403 and r.json()["detail"] == f"grant {sub.id} is revoked: 指标口径调整"

    start = (dt.date.today() - dt.timedelta(days=20)).isoformat()
    old = ex.request(
        "health", "household", purpose="x", legal_basis="gov_sharing", start=start,
        until=until(-10), columns=["household_id", "street_code"],
    )  # fmt: skip
    expired = ex.approve(old.id, "police")
    token3, _ = create_token(lake, expired.id, "health")
    r = client.get("/v1/resources/household", headers=auth(token3))
    assert r.status_code == 403 and r.json()["detail"] == (
        f"grant {expired.id} expired on {until(-10)}"
    )

    statuses = [(c["actor"], c["status"]) for c in calls(lake)]
    assert statuses == [
        ("tourism", 200), ("unknown", 401), ("unknown", 401), ("tourism", 403),
        ("tourism", 200), ("tourism", 403), ("health", 403),
    ]  # fmt: skip
    assert xlog.verify(lake).ok

    # an audited call edited afterwards is found
    lines = xlog.log_path(lake).read_text(encoding="utf-8").splitlines()
    n = next(i for i, line in enumerate(lines) if '"status":403' in line)
    entry = json.loads(lines[n])
    entry["status"] = 200
    lines[n] = json.dumps(entry, ensure_ascii=False, separators=(",", ":"))
    xlog.log_path(lake).write_text("\n".join(lines) + "\n", encoding="utf-8")
    verdict = xlog.verify(lake)
    assert not verdict.ok and f"entry {entry['seq']} (line {n + 1}) was changed" in verdict.reason


def test_cli_token_create_and_revoke(lake, rules) -> None:
    from typer.testing import CliRunner

    from govlake.cli import app
    from govlake.exchange.api import how_to_call

    run = CliRunner().invoke
    assert how_to_call(lake) == []  # no grant yet: nothing to show
    Exchange(rules, lake).subscribe("health", "base_legal_entity")
    hint = how_to_call(lake)  # what `govlake run` prints: the commands are the ones used here
    assert "govlake exchange token create --grant GR-0001 --as health" in hint[1]
    assert "/v1/resources/base_legal_entity?limit=10" in hint[3]
    made = run(app, ["exchange", "token", "create", "--grant", "GR-0001", "--as", "health"])
    assert made.exit_code == 0, made.output
    token = made.output.strip().splitlines()[-1]
    assert token.startswith("glx_") and "TOK-0001" in made.output
    [entry] = [e for e in xlog.read_log(lake) if e["kind"] == "token"]
    assert entry["sha256"] == token_hash(token) and token not in json.dumps(entry)

    wrong = run(app, ["exchange", "token", "create", "--grant", "GR-0009", "--as", "health"])
    assert wrong.exit_code == 1 and "no grant 'GR-0009'" in wrong.output
    assert "Traceback" not in wrong.output
    done = run(app, ["exchange", "token", "revoke", "TOK-0001", "--as", "health", "--reason", "x"])
    assert done.exit_code == 0, done.output
    again = run(app, ["exchange", "token", "revoke", "TOK-0001", "--as", "health", "--reason", "x"])
    assert again.exit_code == 1 and "already revoked" in again.output


def test_a_token_over_its_rate_limit_gets_429_with_retry_after(lake, rules) -> None:
    client = TestClient(create_app(rules, calls_per_minute=3))
    ex = Exchange(rules, lake)
    busy, _ = create_token(lake, ex.subscribe("health", "base_legal_entity").id, "health")
    other, _ = create_token(lake, ex.subscribe("tourism", "economic_indicator").id, "tourism")
    path = "/v1/resources/base_legal_entity"
    assert [client.get(path, headers=auth(busy)).status_code for _ in range(3)] == [200] * 3
    r = client.get(path, headers=auth(busy))
    assert r.status_code == 429 and 1 <= int(r.headers["Retry-After"]) <= 60
    assert "more than 3 calls a minute" in r.json()["detail"]
    ok = client.get("/v1/resources/economic_indicator", headers=auth(other))
    assert ok.status_code == 200  # the limit is per token
    assert [c["status"] for c in calls(lake)] == [200, 200, 200, 429, 200]


@contextlib.contextmanager
def serving(*args: str) -> Iterator[str]:
    """`govlake api` as its own process (uvicorn) on a free loopback port: its base URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    govlake = Path(sys.executable).with_name("govlake")
    server = subprocess.Popen(
        [str(govlake), "api", "--port", str(port), *args], env=dict(os.environ),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(400):
            try:
                httpx.get(f"{base}/openapi.json", timeout=1)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stdout.read().decode()
                time.sleep(0.05)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_a_real_server_on_loopback_serves_arrow(lake, rules) -> None:
    """A real HTTP client against the server process; the Arrow stream equals the JSON page."""
    import pyarrow as pa

    grant = Exchange(rules, lake).subscribe("health", "base_legal_entity")
    token, _ = create_token(lake, grant.id, "health")
    with serving() as base:
        path = f"{base}/v1/resources/base_legal_entity"
        body = httpx.get(path, headers=auth(token), params={"limit": 1000}).json()
        arrow = httpx.get(path, headers=auth(token), params={"limit": 1000, "format": "arrow"})
        assert arrow.headers["content-type"] == "application/vnd.apache.arrow.stream"
        table = pa.ipc.open_stream(arrow.content).read_all()
        assert table.column_names == body["columns"] and table.num_rows == len(body["rows"]) > 0
        assert jsonable_encoder(table.to_pylist()) == body["rows"]  # same values, typed
        assert httpx.get(f"{base}/docs").status_code == 200
    assert [c["status"] for c in calls(lake)] == [200, 200]


def test_a_build_swap_during_a_stream_of_reads_loses_no_request(lake, rules) -> None:
    """Reads of a warehouse resource from the server process go on while `build()` rebuilds and
    swaps the warehouse in: every call answers 200 (read-only connections opened per call),
    and the build is not blocked by them."""
    import threading

    from govlake.transform import build

    grant = Exchange(rules, lake).subscribe("health", "base_legal_entity")
    token, _ = create_token(lake, grant.id, "health")
    warehouse = lake.root / "warehouse.duckdb"
    before = warehouse.stat().st_ino
    statuses: list[int] = []
    stop = threading.Event()
    with serving() as base:

        def reader() -> None:
            while not stop.is_set():
                r = httpx.get(f"{base}/v1/resources/base_legal_entity", headers=auth(token))
                statuses.append(r.status_code)

        thread = threading.Thread(target=reader)
        thread.start()
        try:
            result = build(full_refresh=True)  # a new warehouse file, swapped in
        finally:
            stop.set()
            thread.join()
        assert result.success, result.message
        assert warehouse.stat().st_ino != before  # a new warehouse was swapped in meanwhile
        after = httpx.get(f"{base}/v1/resources/base_legal_entity", headers=auth(token))
        assert after.status_code == 200 and after.json()["rows"]
    assert len(statuses) > 5 and set(statuses) == {200}
    assert len(calls(lake)) == len(statuses) + 1 and xlog.verify(lake).ok


def test_department_token_reads_every_grant_and_records_which(lake, rules, client) -> None:
    ex = Exchange(rules, lake)
    first = ex.subscribe("health", "base_legal_entity")
    req = ex.request(
        "health", "base_person", purpose="老年人服务", legal_basis="gov_sharing", until=until(),
        columns=["person_key", "age"], rows=[parse_condition("age >= 60")],
    )  # fmt: skip
    second = ex.approve(req.id, "data_bureau")
    with pytest.raises(ExchangeError, match="only health"):
        create_token(lake, None, "tourism", department="health")
    token, record = create_token(lake, None, "health", department="health")
    assert record.grant is None and record.grantee == "health"
    listed = client.get("/v1/resources", headers=auth(token)).json()["resources"]
    assert [(x["id"], x["grant"]) for x in listed] == [
        ("base_legal_entity", first.id), ("base_person", second.id),
    ]  # fmt: skip
    r = client.get("/v1/resources/base_person", headers=auth(token), params={"limit": 5})
    assert r.status_code == 200 and r.json()["grant"] == second.id
    assert client.get("/v1/resources/household", headers=auth(token)).status_code == 403
    ex.revoke(second.id, "data_bureau", reason="用途已完成")
    r = client.get("/v1/resources/base_person", headers=auth(token))
    assert r.status_code == 403 and "revoked" in r.json()["detail"]
    assert client.get("/v1/resources/base_legal_entity", headers=auth(token)).status_code == 200
    audited = calls(lake)
    assert [(c["grant"], c["status"]) for c in audited[1:]] == [
        (second.id, 200), (None, 403), (second.id, 403), (first.id, 200),
    ]  # fmt: skip
    assert all(c["token"] == record.id and c["actor"] == "health" for c in audited)


def test_cached_fold_sees_a_revocation_on_the_next_call(lake, rules, client) -> None:
    ex = Exchange(rules, lake)
    token, record = create_token(lake, ex.subscribe("health", "base_legal_entity").id, "health")
    path = "/v1/resources/base_legal_entity"
    from govlake.settings import get_settings
    from govlake.transform.query import connect_analyst

    con = connect_analyst(get_settings())  # as the API opens it: one file, one configuration
    count = con.execute("select count(*) from base.base_legal_entity").fetchone()[0]
    con.close()
    pages = read_all(client, token, path, limit=3)  # every row, the first (rowid 0) too
    assert sum(map(len, pages)) == count > 3
    assert [client.get(path, headers=auth(token)).status_code for _ in range(3)] == [200] * 3
    revoke_token(lake, record.id, "health", reason="泄露")  # by another process's hand
    r = client.get(path, headers=auth(token))
    assert r.status_code == 403 and "泄露" in r.json()["detail"]
    new, _ = create_token(lake, record.grant, "health")
    assert client.get(path, headers=auth(new)).status_code == 200
    assert xlog.verify(lake).ok


def test_request_size_limits_and_anonymous_floods(lake, rules, monkeypatch) -> None:
    from govlake.settings import get_settings

    monkeypatch.setenv("GOVLAKE_API_ANONYMOUS_CALLS_PER_MINUTE", "3")
    monkeypatch.setenv("GOVLAKE_API_MAX_URL", "500")
    monkeypatch.setenv("GOVLAKE_API_MAX_FILTERS", "2")
    get_settings.cache_clear()
    client = TestClient(create_app(rules))
    ex = Exchange(rules, lake)
    token, _ = create_token(lake, ex.subscribe("health", "base_legal_entity").id, "health")
    path = "/v1/resources/base_legal_entity"
    r = client.get(path, headers=auth(token), params={"where": "x" * 600})
    assert r.status_code == 414 and "at most 500" in r.json()["detail"]
    r = client.request("GET", path, headers=auth(token), content=b"{}")
    assert r.status_code == 413 and "no request body" in r.json()["detail"]
    r = client.get(path, headers=auth(token), params=[("where", "a = 1")] * 3)
    assert r.status_code == 400 and "3 `where` filters; at most 2" in r.json()["detail"]
    assert [c["status"] for c in calls(lake)] == [414, 413, 400]
    assert all(c["actor"] == "health" for c in calls(lake))

    before = len(calls(lake))
    codes = [client.get(path, headers=auth("glx_guess")).status_code for _ in range(10)]
    assert codes == [401] * 3 + [429] * 7
    flood = calls(lake)[before:]
    assert [c["status"] for c in flood] == [401, 401, 401, 429]  # one 429 recorded, not seven
    assert client.get(path, headers=auth(token)).status_code == 200  # a token is not limited
    assert client.get(path, params={"limit": 2000}, headers=auth(token)).status_code == 422
    assert xlog.verify(lake).ok


def test_large_arrow_stream_equals_the_recomputed_scope(lake, rules, monkeypatch) -> None:
    """A limit above the page size streams (here the page size is 5, so the tiny lake's rows
    are a large answer); a stream cut by its limit gives the cursor of the rest."""
    import pyarrow as pa
    import pyarrow.ipc as ipc

    from govlake.settings import get_settings

    monkeypatch.setenv("GOVLAKE_API_PAGE_LIMIT", "5")
    get_settings.cache_clear()
    client = TestClient(create_app(rules))

    ex = Exchange(rules, lake)
    req = ex.request(
        "civil_affairs", "registered_person", purpose="社会救助核对",
        legal_basis="social_assistance", until=until(), columns=["citizen_id", "street_code"],
        rows=[parse_condition(f"street_code in ({', '.join(STREETS)})")],
    )  # fmt: skip
    token, _ = create_token(lake, ex.approve(req.id, "police").id, "civil_affairs")
    expected = [
        ("".join(unicodedata.normalize("NFKC", r["citizen_id"]).split()).upper(), r["street_code"])
        for r in accepted_rows(lake, "registered_person")
        if clean(r["street_code"]) in STREETS
    ]
    assert len(expected) > 20
    path = "/v1/resources/registered_person"
    r = client.get(path, headers=auth(token), params={"format": "arrow", "limit": 100_000})
    assert r.status_code == 200 and "X-Next-Cursor" not in r.headers
    table = ipc.open_stream(pa.py_buffer(r.content)).read_all()
    assert table.column_names == ["citizen_id", "street_code"]  # in clear: social assistance
    assert list(zip(*table.to_pydict().values(), strict=True)) == expected
    assert client.get(path, headers=auth(token), params={"limit": 6}).status_code == 422
    rows, cursor = [], None
    while True:  # streams of 7 rows each, through the cursor
        params = {"format": "arrow", "limit": 7} | ({"cursor": cursor} if cursor else {})
        r = client.get(path, headers=auth(token), params=params)
        part = ipc.open_stream(pa.py_buffer(r.content)).read_all()
        rows += list(zip(*part.to_pydict().values(), strict=True))
        cursor = r.headers.get("X-Next-Cursor")
        if cursor is None:
            break
        assert part.num_rows == 7
    assert rows == expected
    audited = calls(lake)
    assert audited[0]["rows"] == len(expected) and audited[0]["status"] == 200
    assert sum(c["rows"] for c in audited[2:]) == len(expected)
    assert xlog.verify(lake).ok


def _civil_affairs_person_token(ex, lake) -> str:
    """civil_affairs' approved request for three columns of registered_person, rows of the
    sample streets, and a token for it (identifiers in clear: granted)."""
    req = ex.request(
        "civil_affairs", "registered_person", purpose="社会救助核对",
        legal_basis="social_assistance", until=until(),
        columns=["citizen_id", "sex", "street_code"],
        rows=[parse_condition(f"street_code in ({', '.join(STREETS)})")],
    )  # fmt: skip
    return create_token(lake, ex.approve(req.id, "police").id, "civil_affairs")[0]


def test_cached_answer_equals_duckdb_pages_and_a_new_version_drops_it(lake, rules, monkeypatch):
    """Unfiltered pages come from the grant's cached answer; they equal the pages DuckDB
    gives with no cache (and with a budget too small to keep the answer); a new version of
    the resource (here: a deletion vector on one part) is seen on the next call, its old
    cursor is refused, and the old version's answer is dropped."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from govlake.settings import get_settings

    ex = Exchange(rules, lake)
    token = _civil_affairs_person_token(ex, lake)
    path = "/v1/resources/registered_person"

    def answers(budget: str) -> tuple[TestClient, list[list]]:
        monkeypatch.setenv("GOVLAKE_API_CACHE_BYTES", budget)
        get_settings.cache_clear()
        client = TestClient(create_app(rules))
        return client, read_all(client, token, path, limit=6)

    cached_client, cached = answers(str(512 << 20))
    assert len(cached_client.app.state.answers.entries) == 1
    _, uncached = answers("0")
    small_client, small = answers("100")  # smaller than the answer: served, not kept
    assert cached == uncached == small and len(cached) > 2
    assert not small_client.app.state.answers.entries

    part = sorted(lake.accepted("registered_person").glob("batch_date=*/part-*.parquet"))[0]
    deletes = lake.accepted_deletes("registered_person") / part.parent.name / part.name
    assert not deletes.exists()
    first = cached_client.get(path, headers=auth(token), params={"limit": 6}).json()
    rows = pq.read_table(part)
    street = pa.compute.utf8_trim_whitespace(rows["street_code"])
    gone = rows.filter(pa.compute.is_in(street, pa.array(STREETS)))["_source_row"][:3]
    old = next(iter(cached_client.app.state.answers.entries))
    deletes.parent.mkdir(parents=True, exist_ok=True)
    try:
        pq.write_table(pa.table({"_source_row": gone}), deletes)
        after = read_all(cached_client, token, path, limit=6)
        expected = [
            ["".join(unicodedata.normalize("NFKC", r["citizen_id"]).split()).upper()
             if r["citizen_id"] else None, r["sex"], r["street_code"]]
            for r in accepted_rows(lake, "registered_person")
            if clean(r["street_code"]) in STREETS
        ]  # fmt: skip
        flat = [row for page in after for row in page]
        assert flat == expected and len(flat) == sum(map(len, cached)) - 3
        (new,) = cached_client.app.state.answers.entries  # the old version's answer dropped
        assert new != old
        stale = cached_client.get(
            path, headers=auth(token), params={"cursor": first["next_cursor"]}
        )
        assert stale.status_code == 409 and "new version" in stale.json()["detail"]
    finally:
        deletes.unlink(missing_ok=True)
    assert xlog.verify(lake).ok


def test_two_workers_append_to_one_intact_chain(lake, rules) -> None:
    """`govlake api --workers 2`: two processes group-commit audit entries into one log under
    the lake's lock; concurrent calls land on both, and the chain holds every call."""
    from concurrent.futures import ThreadPoolExecutor

    grant = Exchange(rules, lake).subscribe("health", "base_legal_entity")
    token, _ = create_token(lake, grant.id, "health")
    with serving("--workers", "2") as base:
        path = f"{base}/v1/resources/base_legal_entity"

        def reader(_: int) -> list[int]:
            with httpx.Client(timeout=60) as http:  # its own connection: either worker
                return [http.get(path, headers=auth(token)).status_code for _ in range(10)]

        statuses: list[int] = []
        for _ in range(5):  # rounds until both workers have answered (one may start later)
            with ThreadPoolExecutor(12) as pool:
                statuses += [s for got in pool.map(reader, range(12)) for s in got]
            if len({c["worker"] for c in calls(lake)}) == 2:
                break
    assert statuses == [200] * len(statuses)
    audited = calls(lake)
    assert len(audited) == len(statuses) and {c["status"] for c in audited} == {200}
    assert len({c["worker"] for c in audited}) == 2
    assert xlog.verify(lake).ok


def _entry(e: dict) -> dict:
    """An audit entry without what differs between two calls (place, time, serving process)."""
    return {k: v for k, v in e.items() if k not in ("seq", "at", "prev", "hash", "duration_ms")}


HEADERS = ("content-type", "content-length", "x-next-cursor", "retry-after", "x-not-audited")


def test_fast_path_pages_equal_the_regular_path(lake, rules, monkeypatch) -> None:
    """Pages of a grant's cached answer are served on the event loop (``FastPages``): the
    same bytes, headers and audit entries as the regular path, and as pages read from DuckDB
    with no cache (JSON rows encoded per page, not per cached chunk), for a department
    resource (identifiers in clear) and a derived one (pseudonyms), JSON and CSV, a grant's
    token and a department's."""
    from govlake.exchange import api
    from govlake.settings import get_settings

    monkeypatch.setattr(api, "JSON_CHUNK", 5)  # pages of 7 rows span encoded chunks

    ex = Exchange(rules, lake)
    person = _civil_affairs_person_token(ex, lake)
    req = ex.request(
        "health", "base_person", purpose="老年人服务", legal_basis="gov_sharing", until=until(),
        columns=["person_key", "age", "street_code"], rows=[parse_condition("age >= 60")],
    )  # fmt: skip
    ex.approve(req.id, "data_bureau")
    health, _ = create_token(lake, None, "health", department="health")
    fast, regular = (TestClient(create_app(rules, fast_pages=f)) for f in (True, False))
    monkeypatch.setenv("GOVLAKE_API_CACHE_BYTES", "0")
    get_settings.cache_clear()
    uncached = TestClient(create_app(rules))

    def walk(client: TestClient, token: str, path: str, format: str) -> list[tuple]:
        got, cursor = [], None
        while True:
            params = {"limit": 7, "format": format} | ({"cursor": cursor} if cursor else {})
            r = client.get(path, headers=auth(token), params=params)
            assert r.status_code == 200, r.text
            got.append((r.content, *(r.headers.get(h) for h in HEADERS)))
            cursor = r.json()["next_cursor"] if format == "json" else r.headers.get("x-next-cursor")
            if cursor is None:
                return got

    pages = 0
    for token, path in ((person, "/v1/resources/registered_person"),
                        (health, "/v1/resources/base_person")):  # fmt: skip
        for format in ("json", "csv"):
            before = len(calls(lake))
            got = walk(fast, token, path, format)
            n = len(calls(lake)) - before
            assert walk(regular, token, path, format) == got and len(got) > 2
            assert walk(uncached, token, path, format) == got
            audited = [_entry(e) for e in calls(lake)[before:]]
            assert audited[:n] == audited[n : 2 * n] == audited[2 * n :] and len(audited) == 3 * n
            pages += len(got)
    # every call but each grant's first (which made its cached answer) took the fast path
    assert (fast.app.state.fast_served, regular.app.state.fast_served) == (pages - 2, 0)
    assert uncached.app.state.fast_served == 0 and not uncached.app.state.answers.entries
    assert xlog.verify(lake).ok


def test_fast_path_refuses_as_the_regular_path(lake, rules) -> None:
    """With the grant's answer cached, a call that must be refused still is, with the regular
    path's status, reason, headers and audit entry: the fast path answers only pages and the
    rate limit's 429; a bad or stale cursor, a bad limit or format, another resource, an
    unknown token, a revoked token or grant go the regular way."""
    from govlake.exchange.api import _encode_cursor

    ex = Exchange(rules, lake)
    sub = ex.subscribe("health", "base_legal_entity")
    path = "/v1/resources/base_legal_entity"

    def run(fast: bool) -> tuple[list[tuple], list[dict], int]:
        """The calls on one app, with tokens and a tourism grant of its own (it revokes them)."""
        token, record = create_token(lake, sub.id, "health")
        spare, spare_record = create_token(lake, sub.id, "health")
        indicator = ex.subscribe("tourism", "economic_indicator")
        tourism, tourism_record = create_token(lake, indicator.id, "tourism")
        client = TestClient(create_app(rules, calls_per_minute=10, fast_pages=fast))
        before, got = len(calls(lake)), []

        def get(who: str, where: str = path, **params) -> httpx.Response:
            r = client.get(where, headers=auth(who), params=params)
            detail = r.json()["detail"] if r.status_code != 200 else None
            got.append((r.status_code, detail, r.headers.get("x-not-audited"),
                        "retry-after" in r.headers))  # fmt: skip
            return r

        first = get(token, limit=3)  # makes the grant's cached answer
        get(token, limit=3, cursor=first.json()["next_cursor"])
        get(token, cursor="bm90IGEgY3Vyc29y")  # not one the API gave out
        get(token, cursor=_encode_cursor("an-older-version", 3))
        for bad in ({"limit": "0"}, {"limit": "x"}, {"limit": 5000}, {"format": "xml"}):
            get(token, **bad)
        get(token, "/v1/resources/household")
        get(token, format="csv")  # the token's 10th call: the last its limit allows
        get(token)  # 429, audited
        get(token)  # 429 again in the same minute: not audited
        get("glx_unknown")
        get(spare)
        get(tourism, "/v1/resources/economic_indicator")
        get(tourism, "/v1/resources/economic_indicator", limit=2)
        revoke_token(lake, spare_record.id, "health", reason="换发")
        get(spare)
        ex.revoke(indicator.id, "statistics", reason="指标口径调整")
        assert get(tourism, "/v1/resources/economic_indicator").json()["detail"] == (
            f"grant {indicator.id} is revoked: 指标口径调整"
        )
        names = {record.id: "TOKEN", spare_record.id: "SPARE", tourism_record.id: "TOURISM",
                 indicator.id: "INDICATOR"}  # fmt: skip

        def same(value: Any) -> Any:  # this run's ids as their role, no times
            text = json.dumps(value, ensure_ascii=False)
            for id_, name in names.items():
                text = re.sub(rf"\b{id_}\b", name, text)
            text = re.sub(r"\d{4}-\d\d-\d\dT[\d:.]+\+00:00", "TIME", text)
            return json.loads(re.sub(r"retry in \d+ s", "retry in N s", text))

        return (
            same(got),
            same([_entry(e) for e in calls(lake)[before:]]),
            (client.app.state.fast_served),
        )

    fast, regular = run(True), run(False)
    assert [g[0] for g in fast[0]] == [
        200, 200, 400, 409, 422, 422, 422, 422, 403, 200, 429, 429, 401, 200, 200, 200, 403, 403,
    ]  # fmt: skip
    assert fast[0][10][2:] == [None, True] and fast[0][11][2:] == ["1", True]
    assert "was revoked on" in fast[0][16][1] and "换发" in fast[0][16][1]
    assert fast[0] == regular[0] and fast[1] == regular[1]
    assert len(fast[1]) == len(fast[0]) - 1  # the second 429 is not audited
    # the fast path answered the pages of cached answers and the 429s, nothing else
    assert (fast[2], regular[2]) == (6, 0)
    assert xlog.verify(lake).ok


def test_audit_writer_answers_each_call_after_its_entry_is_written(tmp_path) -> None:
    """The group-commit writer, from threads (the regular path) and from an event loop (the
    fast path): each write returns only once its entry is in the log; calls arriving together
    share fsyncs (a busy writer gathers them), and the chain holds every entry in order."""
    import asyncio
    import threading

    from govlake.exchange.api import AuditWriter

    lake = Lake(tmp_path / "lake")
    writer = AuditWriter(lake, timeout=10, gather=0.005)
    found: list[bool] = []

    def logged(n: int) -> bool:
        return f'"n":{n},' in xlog.log_path(lake).read_text(encoding="utf-8")

    def by_thread(n: int) -> None:
        writer.write("api_call", "health", {"n": n, "path": "/x"})
        found.append(logged(n))

    threads = [threading.Thread(target=by_thread, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    async def by_loop(n: int) -> None:
        await writer.write_async("api_call", "health", {"n": n, "path": "/x"})
        found.append(logged(n))

    async def many() -> None:
        await asyncio.gather(*(by_loop(n) for n in range(20, 60)))

    loop_thread = threading.Thread(target=asyncio.run, args=(many(),))  # its own loop: the
    loop_thread.start()  # test's thread may have one running (left by another test)
    loop_thread.join()
    entries = xlog.read_log(lake)
    assert found == [True] * 60 and sorted(e["n"] for e in entries) == list(range(60))
    assert writer.entries == 60 and writer.batches < 40  # calls shared fsyncs
    assert xlog.verify(lake).ok


def test_a_superseded_batch_is_seen_on_the_next_call(tmp_path) -> None:
    """The department version check keeps a resource's superseded batches until its manifest
    folder changes (entries are renamed in, which changes the folder's mtime); a folder changed
    within the last two seconds is read again on every call. Either way a batch the manifest
    marks superseded leaves the version on the next call."""
    from types import SimpleNamespace

    import pyarrow as pa
    import pyarrow.parquet as pq

    from govlake.exchange.api import DepartmentCache
    from govlake.ingest.manifest import write_entry

    lake = Lake(tmp_path / "lake")
    res = SimpleNamespace(id="registered_person")
    ids = ["registered_person-20261102-aaaa", "registered_person-20261103-bbbb"]
    for n, batch in enumerate(ids):
        part = lake.accepted(res.id) / f"batch_date=2026-11-0{n + 2}" / f"part-{batch}.parquet"
        part.parent.mkdir(parents=True)
        pq.write_table(pa.table({"_source_row": [1, 2]}), part)
    cache = DepartmentCache(lake)

    def batches() -> list[str]:
        return [p.name.removeprefix("part-").removesuffix(".parquet") for p, _ in
                cache.parts(res)[1]]  # fmt: skip

    def supersede(n: int) -> None:
        write_entry(lake, {"resource": res.id, "path": f"f{n}.csv", "version": 1,
                           "status": "superseded", "batch_id": ids[n]})  # fmt: skip

    assert batches() == ids and cache.read[res.id][0] is None  # no manifest yet: kept
    supersede(0)
    assert batches() == ids[1:] and res.id not in cache.read  # changed just now: not kept
    folder = lake.manifest(res.id)
    old = time.time() - 60
    os.utime(folder, (old, old))  # a folder last changed a minute ago: its reading is kept
    assert batches() == ids[1:] and cache.read[res.id][1] == {ids[0]}
    supersede(1)  # renamed in: the folder's mtime moves on, so the next call reads again
    assert batches() == [] and res.id not in cache.read  # changed just now: not kept
