"""The landing zone (issue #10): a delivery is taken only when complete, a changed file is never
ignored, and no file can block or slip past the lake. Each test starts from one of the issue's
reproductions (numbered as there)."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
import yaml
from test_ingest import (
    DAY,
    complete,
    csv_bytes,
    deliver,
    headers_for,
    landing_file,
    raw_rows,
    rows_for,
    write_xlsx,
)
from test_quality_gate import person

from govlake.lake import Lake, read_accepted

ROOT = Path(__file__).resolve().parents[1]
PERSON = "registered_person"
CUT = "file does not end with a line break: last row may be cut"


def person_csv(register, rows: range) -> bytes:
    """Police's registered persons as police deliver them (GB18030, Chinese headers, CRLF);
    every row passes the quality gate."""
    resource = register.resource(PERSON)
    names = [f.name for f in resource.fields]
    data = [[person(i, move_in_date="2020-03-01")[n] for n in names] for i in rows]
    return csv_bytes(headers_for(resource, names, "zh"), data, "gb18030")


def edited_register(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, edit) -> object:
    """A copy of the register with ``edit(dept_id, data)`` applied to each department file,
    made the configured one (``GOVLAKE_REGISTER_DIR``)."""
    from govlake.register import load_register
    from govlake.settings import get_settings

    catalog = tmp_path / "catalog"
    shutil.copytree(ROOT / "catalog", catalog)
    for path in (catalog / "departments").glob("*.yml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        edit(data["id"], data)
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("GOVLAKE_REGISTER_DIR", str(catalog))
    get_settings.cache_clear()
    return load_register(catalog)


@pytest.fixture
def settle_register(lake_root, tmp_path, monkeypatch):
    """Police without completion markers: the settle rule, settle time 0 (files as found)."""

    def edit(dept: str, data: dict) -> None:
        if dept == "police":
            data["delivery"] = {"completion": "settle", "settle_seconds": 0}

    return edited_register(tmp_path, monkeypatch, edit)


def gate(resource_id: str) -> dict:
    from govlake.pipeline import gate_step

    return gate_step(resource_id)


def accepted_count(lake_root: Path, resource_id: str) -> int:
    table = read_accepted(Lake(lake_root), resource_id)
    return 0 if table is None else table.num_rows


def quarantine_rows(lake_root: Path, resource_id: str) -> list[dict]:
    parts = sorted(Lake(lake_root).quarantine(resource_id).glob("*/*.parquet"))
    return [r for p in parts for r in pq.read_table(p).to_pylist()]


def entries(resource_id: str) -> list[dict]:
    from govlake.ingest import read_manifest

    return read_manifest(resource_id)


# ---------------------------------------------------------------- 1. a partly copied file


@pytest.mark.unit
def test_partial_copy_waits_for_its_completion_marker(lake_root, register) -> None:
    """Police's exchange server writes ``<file>.ok`` after each file: until then the file is
    ``waiting`` (in ``status``, not in the manifest), and a rewrite after the marker waits for
    a new one."""
    from govlake.cli.stages import status_rows
    from govlake.ingest import ingest_resource
    from govlake.ingest.runner import delivery_ready

    full = person_csv(register, range(200))
    path = landing_file(lake_root, register.resource(PERSON), "p.csv")
    path.write_bytes(b"\r\n".join(full.split(b"\r\n")[:101]) + b"\r\n")  # head -n 101
    assert ingest_resource(PERSON, register=register).results == []
    assert not delivery_ready(PERSON, register=register)  # the sensor keeps waiting
    [row] = status_rows([PERSON])
    assert row[1:4] == ("police/registered_person/2026-11-02/p.csv", "1", "waiting")
    assert "no completion marker p.csv.ok yet" in row[6]
    assert entries(PERSON) == []

    path.write_bytes(full)  # cp full.csv p.csv, then the exchange server's marker
    complete(lake_root, register.resource(PERSON), path)
    assert delivery_ready(PERSON, register=register)
    [result] = ingest_resource(PERSON, register=register).results
    assert (result.status, result.rows) == ("ingested", 200)

    marker = path.with_name("p.csv.ok")  # new bytes after the marker: wait for a new marker
    os.utime(marker, ns=(marker.stat().st_mtime_ns - 10**9,) * 2)
    path.write_bytes(person_csv(register, range(210)))
    assert ingest_resource(PERSON, register=register).results == []
    waiting = [r for r in status_rows([PERSON]) if r[3] == "waiting"]
    assert [r[2] for r in waiting] == ["2"]
    assert "after its completion marker p.csv.ok" in waiting[0][6]


@pytest.mark.unit
def test_success_marker_and_settle_rule(lake_root, register, tmp_path, monkeypatch) -> None:
    """Tourism writes ``_SUCCESS`` in the date folder after its files; a department without
    markers has its files taken once unchanged for ``settle_seconds``."""
    from govlake.ingest import ingest_resource
    from govlake.ingest.runner import waiting_files

    spot = register.resource("scenic_spot")
    names, rows = rows_for(spot, 5)
    path = landing_file(lake_root, spot, "s.csv")
    path.write_bytes(csv_bytes(headers_for(spot, names, "zh"), rows, "utf-8"))
    [w] = waiting_files("scenic_spot", register=register)
    assert w["reason"] == f"no completion marker {DAY}/_SUCCESS yet"
    (path.parent / "_SUCCESS").touch()
    assert ingest_resource("scenic_spot", register=register).rows == 5
    assert [e["path"].rsplit("/", 1)[1] for e in entries("scenic_spot")] == ["s.csv"]  # no marker

    def edit(dept: str, data: dict) -> None:
        if dept == "tourism":
            data["delivery"] = {"completion": "settle", "settle_seconds": 3600}

    settled = edited_register(tmp_path, monkeypatch, edit)
    hotel = settled.resource("hotel")
    names, rows = rows_for(hotel, 3)
    fresh = write_xlsx(landing_file(lake_root, hotel, "h.xlsx"), headers_for(hotel, names, "zh"),
                       rows)  # fmt: skip
    [w] = waiting_files("hotel", register=settled)
    assert "complete once unchanged for 3600 s" in w["reason"]
    assert ingest_resource("hotel", register=settled).results == []
    old = time.time_ns() - 7200 * 10**9
    os.utime(fresh, ns=(old, old))  # mtime long ago, but ctime (the copy) is now: still waits
    assert ingest_resource("hotel", register=settled).results == []


@pytest.mark.integration
def test_redelivered_path_is_a_new_version_that_replaces_the_old_rows(
    lake_root, settle_register
) -> None:
    """The issue's reproduction without markers (settle rule): 100 of 200 rows copied, ingested,
    then the full file copied over the same path. Both versions stay in raw and the manifest,
    the first ``superseded``, its rows retracted; accepted and base_person end with 200, the
    build having refreshed by itself (an incremental model cannot drop retracted keys)."""
    from govlake.cli.stages import status_rows
    from govlake.ingest import ingest_resource
    from govlake.transform import build

    register = settle_register
    full = person_csv(register, range(200))
    path = landing_file(lake_root, register.resource(PERSON), "p.csv")
    path.write_bytes(b"\r\n".join(full.split(b"\r\n")[:101]) + b"\r\n")
    assert ingest_resource(PERSON, register=register).rows == 100
    assert gate(PERSON)["rows"] == 100
    assert build().success

    shutil.copyfile(io_file(full, lake_root), path)  # cp full.csv p.csv
    report = ingest_resource(PERSON, register=register)
    [v2] = report.results
    assert (v2.status, v2.rows, v2.version) == ("ingested", 200, 2)
    assert len(raw_rows(lake_root, PERSON)) == 300  # both versions stay in raw
    assert accepted_count(lake_root, PERSON) == 100  # the first stays until the second is in
    assert ingest_resource(PERSON, register=register, retry_rejected=True).results == []

    assert gate(PERSON)["rows"] == 200
    assert accepted_count(lake_root, PERSON) == 200  # replaced, not added to
    v1_entry, v2_entry = entries(PERSON)
    assert (v1_entry["version"], v1_entry["status"], v1_entry["previous_status"]) == (
        1, "superseded", "accepted")  # fmt: skip
    assert v1_entry["superseded_by"]["sha256"] == v2_entry["sha256"] != v1_entry["sha256"]
    assert v1_entry["retracted_rows"] == 100
    assert "superseded by version 2" in v1_entry["reason"]
    assert "its 100 accepted rows retracted" in v1_entry["reason"]
    assert (v2_entry["version"], v2_entry["status"], v2_entry["rows"]) == (2, "accepted", 200)
    second = build()
    assert second.success and second.full_refresh, second.message
    assert base_persons(lake_root) == 200

    path.write_bytes(person_csv(register, range(150)))  # persons 150-199 no longer delivered
    assert ingest_resource(PERSON, register=register).results[0].version == 3
    gate(PERSON)
    assert accepted_count(lake_root, PERSON) == 150  # (a build now refreshes, as above)
    assert [(r[2], r[3]) for r in status_rows([PERSON])] == [
        ("1", "superseded"), ("2", "superseded"), ("3", "accepted"),
    ]  # fmt: skip
    # the gate never brings a superseded batch back
    from govlake.quality import GateError, validate_batch

    with pytest.raises(GateError, match="is superseded"):
        validate_batch(PERSON, v2.batch_id)


def io_file(content: bytes, lake_root: Path) -> Path:
    """``content`` as a file outside the landing zone (what the department copies from)."""
    path = lake_root.parent / "outbox" / "full.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def base_persons(lake_root: Path) -> int:
    with duckdb.connect(str(lake_root / "warehouse.duckdb"), read_only=True) as con:
        return con.execute("select count(*) from base.base_person").fetchone()[0]


@pytest.mark.integration
def test_same_bytes_again_is_not_a_version_and_a_killed_supersession_is_repaired(
    lake_root, settle_register
) -> None:
    from govlake.ingest import ingest_resource, manifest
    from govlake.quality.retraction import supersede_stale

    register = settle_register
    path = landing_file(lake_root, register.resource(PERSON), "p.csv")
    path.write_bytes(person_csv(register, range(10)))
    ingest_resource(PERSON, register=register)
    gate(PERSON)
    path.write_bytes(path.read_bytes())  # rewritten with the same bytes: new mtime only
    assert ingest_resource(PERSON, register=register).results == []
    assert [e["version"] for e in entries(PERSON)] == [1]

    path.write_bytes(person_csv(register, range(12)))
    ingest_resource(PERSON, register=register)
    gate(PERSON)
    v1, _ = entries(PERSON)
    assert v1["status"] == "superseded"
    manifest.write_entry(Lake(lake_root), {**v1, "status": "accepted"})  # as if killed before
    assert supersede_stale(Lake(lake_root), PERSON) == [v1["path"]]
    assert entries(PERSON)[0]["status"] == "superseded"
    assert accepted_count(lake_root, PERSON) == 12


@pytest.mark.integration
def test_a_new_version_replaces_only_once_its_rows_are_in(lake_root, settle_register) -> None:
    """A rejected or held new version leaves the accepted one in place; of two versions the gate
    never saw, only the newer is gated and the older superseded."""
    from govlake.ingest import ingest_resource

    register = settle_register
    path = landing_file(lake_root, register.resource(PERSON), "p.csv")
    path.write_bytes(person_csv(register, range(20)))
    ingest_resource(PERSON, register=register)
    gate(PERSON)
    path.write_bytes(b"\xff\xfe not a csv")
    [bad] = ingest_resource(PERSON, register=register).results
    assert bad.status == "rejected" and "version 1 stays as it is" in bad.reason
    resource = register.resource(PERSON)
    names = [f.name for f in resource.fields]
    held = [[person(i, sex="未知")[n] for n in names] for i in range(20)]
    path.write_bytes(csv_bytes(headers_for(resource, names, "zh"), held, "gb18030"))
    ingest_resource(PERSON, register=register)
    assert gate(PERSON)["problems"]  # held
    assert [e["status"] for e in entries(PERSON)] == ["accepted", "rejected", "held"]
    assert accepted_count(lake_root, PERSON) == 20

    path.write_bytes(person_csv(register, range(30)))
    ingest_resource(PERSON, register=register)
    path.write_bytes(person_csv(register, range(40)))
    ingest_resource(PERSON, register=register)
    assert [e["status"] for e in entries(PERSON)][-2:] == ["ingested", "ingested"]
    summary = gate(PERSON)
    assert (len(summary["batches"]), summary["rows"]) == (1, 40)
    assert [e["status"] for e in entries(PERSON)] == ["superseded"] * 4 + ["accepted"]
    assert accepted_count(lake_root, PERSON) == 40


# ---------------------------------------------------------------- 2. a cut last line


@pytest.mark.integration
def test_last_row_without_line_break_is_quarantined(lake_root, register, tmp_path,
                                                    monkeypatch) -> None:  # fmt: skip
    """Cut right after a comma of the last row: that row's last field would read as null. The
    row goes to quarantine with the reason; the other rows are accepted. A row cut short of
    fields is kept (and quarantined) too; a department whose files never end with a line break
    can waive the rule."""
    from govlake.ingest import ingest_resource

    resource = register.resource(PERSON)
    data = person_csv(register, range(200)).rstrip(b"\r\n")
    cut = data[: data.rindex(b",") + 1]  # the last row's move_in_date lost
    deliver(lake_root, resource, "cut.csv", cut)
    short = person_csv(register, range(200, 220)).rstrip(b"\r\n")
    deliver(lake_root, resource, "short.csv", short[: short.rindex(b",", 0, short.rindex(b","))])
    report = ingest_resource(PERSON, register=register)
    assert {r.path.name: (r.status, r.rows) for r in report.results} == {
        "cut.csv": ("ingested", 200), "short.csv": ("ingested", 20),
    }  # fmt: skip
    assert gate(PERSON)["rows"] == 199 + 19
    quarantined = quarantine_rows(lake_root, PERSON)
    assert sorted((r["_source_file"].rsplit("/", 1)[1], r["_source_row"]) for r in quarantined) == [
        ("cut.csv", 200), ("short.csv", 20),
    ]  # fmt: skip
    assert all(CUT in r["_reason"] for r in quarantined)
    assert all("expect_file_to_end_with_line_break()" in r["_expectation"] for r in quarantined)
    for e in entries(PERSON):
        assert e["status"] == "accepted" and e["row_findings"] == 1
        assert e["rows"] == e["accepted_rows"] + e["quarantined_rows"]  # nothing lost
    accepted = read_accepted(Lake(lake_root), PERSON).to_pylist()
    assert all(r["move_in_date"] == "2020-03-01" for r in accepted)  # no value made null

    def waive(dept: str, data: dict) -> None:
        if dept == "police":
            data["delivery"] = {"completion": "ok_marker", "ends_with_line_break": False}

    waived = edited_register(tmp_path, monkeypatch, waive)
    deliver(lake_root, resource, "never_ends.csv", person_csv(register, range(220, 225))[:-2])
    [r] = ingest_resource(PERSON, register=waived).results
    assert r.rows == 5
    assert gate(PERSON)["rows"] == 5


# ---------------------------------------------------------------- 3. two concurrent ingests

RACE = """
import json, sys, time
from pathlib import Path
ready, me, other = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
from govlake.ingest import ingest_resource
(ready / me).touch()
while not (ready / other).exists():
    time.sleep(0.001)
started = time.time()
report = ingest_resource(sys.argv[4])
results = [[r.path.name, r.status] for r in report.results]
print(json.dumps({"started": started, "results": results}))
"""


@pytest.mark.integration
def test_two_processes_started_together_ingest_one_content_once(lake_root, register) -> None:
    """Two files, one content, two date folders; two real processes start ingesting the
    resource at the same moment: one ingests, the other finds the content ingested."""
    resource = register.resource(PERSON)
    content = person_csv(register, range(20_000))
    deliver(lake_root, resource, "a.csv", content, day="2026-11-02")
    deliver(lake_root, resource, "b.csv", content, day="2026-11-03")
    ready = lake_root.parent / "ready"
    ready.mkdir()
    env = {**os.environ, "GOVLAKE_LAKE_ROOT": str(lake_root)}
    procs = [
        subprocess.Popen([sys.executable, "-c", RACE, str(ready), me, other, PERSON], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for me, other in (("one", "two"), ("two", "one"))
    ]  # fmt: skip
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1][-2000:] for o in outs]
    runs = [json.loads(o[0].strip().splitlines()[-1]) for o in outs]
    assert abs(runs[0]["started"] - runs[1]["started"]) < 0.5  # the same moment
    statuses = sorted(s for run in runs for _, s in run["results"])
    assert statuses == ["duplicate", "ingested"]
    assert len(raw_rows(lake_root, PERSON)) == 20_000
    assert len(list(Lake(lake_root).raw(PERSON).glob("*/*.parquet"))) == 1
    assert sorted(e["status"] for e in entries(PERSON)) == ["duplicate", "ingested"]


HOLD = """
import sys
from pathlib import Path
from govlake.ingest.lock import resource_lock
from govlake.lake import Lake
with resource_lock(Lake(Path(sys.argv[1])), sys.argv[2], timeout=5):
    print("held", flush=True)
    sys.stdin.read()
"""


@pytest.mark.unit
def test_a_second_ingest_says_who_holds_the_lock(lake_root, register, monkeypatch) -> None:
    from govlake.pipeline import ingest_step
    from govlake.settings import get_settings

    deliver(lake_root, register.resource(PERSON), "p.csv", person_csv(register, range(3)))
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(lake_root), PERSON],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        monkeypatch.setenv("GOVLAKE_INGEST_LOCK_TIMEOUT", "0.3")
        get_settings.cache_clear()
        summary = ingest_step(PERSON)
        [problem] = summary["problems"]
        assert f"ingest (pid {holder.pid} on" in problem and "holds the lock" in problem
        assert entries(PERSON) == []  # nothing done while another run holds the resource
    finally:
        holder.communicate("")
    assert ingest_step(PERSON)["rows"] == 3


# ---------------------------------------------------------------- 4, 7. what lies in landing


@pytest.mark.unit
def test_every_entry_gets_one_manifest_entry_and_none_blocks(lake_root, register) -> None:
    """A link to /etc/passwd, a broken link, a link to a folder, a FIFO, files nested below the
    date folder, a link to a file of the same resource, a file outside a date folder: each
    gets exactly one manifest entry; nothing raises, nothing outside is read; the good files
    are ingested. A second run changes nothing."""
    from govlake.ingest import ingest_resource

    resource = register.resource(PERSON)
    good = deliver(lake_root, resource, "good.csv", person_csv(register, range(5)))
    day = good.parent
    nested = day / "sub" / "deeper" / "nested.csv"
    nested.parent.mkdir(parents=True)
    nested.write_bytes(person_csv(register, range(5, 9)))
    (day / "passwd.csv").symlink_to("/etc/passwd")
    (day / "gone.csv").symlink_to(day / "nowhere.csv")
    (day / "folder.csv").symlink_to(lake_root.parent)
    (day / "same.csv").symlink_to(good)
    os.mkfifo(day / "pipe.csv")
    loose = good.parent.parent / "loose.csv"
    loose.write_bytes(person_csv(register, range(9, 10)))
    complete(lake_root, resource, *[day / n for n in (
        "sub/deeper/nested.csv", "passwd.csv", "gone.csv", "folder.csv", "same.csv", "pipe.csv")],
        loose)  # fmt: skip

    report = ingest_resource(PERSON, register=register)
    got = {e["path"].removeprefix("police/registered_person/"): e for e in entries(PERSON)}
    assert sorted(got) == sorted([
        f"{DAY}/good.csv", f"{DAY}/sub/deeper/nested.csv", f"{DAY}/passwd.csv", f"{DAY}/gone.csv",
        f"{DAY}/folder.csv", f"{DAY}/same.csv", f"{DAY}/pipe.csv", "loose.csv",
    ])  # fmt: skip
    status = {k: (e["status"], e["reason"]) for k, e in got.items()}
    assert status[f"{DAY}/good.csv"][0] == "ingested"
    assert status[f"{DAY}/sub/deeper/nested.csv"][0] == "ingested"
    assert got[f"{DAY}/sub/deeper/nested.csv"]["batch_date"] == DAY
    assert status[f"{DAY}/same.csv"][0] == "duplicate"
    assert "symbolic link to /etc/passwd outside this resource's landing folder: not followed" in (
        status[f"{DAY}/passwd.csv"][1])  # fmt: skip
    assert "broken symbolic link" in status[f"{DAY}/gone.csv"][1]
    assert "not followed" in status[f"{DAY}/folder.csv"][1]
    assert "a FIFO (named pipe), not a regular file" in status[f"{DAY}/pipe.csv"][1]
    assert "not inside a YYYY-MM-DD date folder" in status["loose.csv"][1]
    assert all(e["raw_path"] is None for k, e in got.items() if e["status"] == "rejected")
    assert report.rows == 9 == len(raw_rows(lake_root, PERSON))
    assert "root:" not in json.dumps([e for e in got.values()])  # /etc/passwd never read
    assert ingest_resource(PERSON, register=register).results == []


# ---------------------------------------------------------------- 5. line ends


@pytest.mark.unit
def test_cr_only_and_mixed_line_ends_parse(lake_root, register) -> None:
    from govlake.ingest import ingest_resource

    resource = register.resource(PERSON)
    crlf = person_csv(register, range(6))
    deliver(lake_root, resource, "cr.csv", crlf.replace(b"\r\n", b"\r"))
    lines = crlf.split(b"\r\n")
    mixed = lines[0] + b"\n" + b"\r".join(lines[1:3]) + b"\r\n" + b"\n".join(lines[3:])
    deliver(lake_root, resource, "mixed.csv", mixed)
    report = ingest_resource(PERSON, register=register)
    assert {r.path.name: (r.status, r.rows) for r in report.results} == {
        "cr.csv": ("ingested", 6), "mixed.csv": ("ingested", 6),
    }  # fmt: skip
    rows = [r for r in raw_rows(lake_root, PERSON) if r["_source_file"].endswith("cr.csv")]
    assert [r["citizen_id"] for r in rows] == [person(i)["citizen_id"] for i in range(6)]
    assert all(r["move_in_date"] == "2020-03-01" for r in rows)  # no \r left in the last field


# ---------------------------------------------------------------- 6. workbooks


def workbook(path: Path, sheets: dict[str, tuple[list[str], list[list]]]) -> Path:
    """An .xlsx with the given sheets (openpyxl: what Excel users make)."""
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, (headers, rows) in sheets.items():
        sheet = book.create_sheet(name)
        if headers:
            sheet.append(headers)
        for row in rows:
            sheet.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


@pytest.mark.integration
def test_every_sheet_is_read_or_the_sheets_are_named(lake_root, register, tmp_path,
                                                     monkeypatch) -> None:  # fmt: skip
    from govlake.ingest import ingest_resource

    hotel = register.resource("hotel")
    names, rows = rows_for(hotel, 6)
    headers = headers_for(hotel, names, "zh")
    two = workbook(
        landing_file(lake_root, hotel, "two.xlsx"),
        {"1月": (headers, rows[:3]), "2月": (headers, rows[3:]), "空": ([], [])},
    )
    cover = workbook(
        landing_file(lake_root, hotel, "cover.xlsx"),
        {"说明": (["本表为住宿设施信息"], []), "数据": (headers, rows[:3])},
    )
    complete(lake_root, hotel, two, cover)
    report = ingest_resource("hotel", register=register)
    by_name = {r.path.name: r for r in report.results}
    assert (by_name["two.xlsx"].status, by_name["two.xlsx"].rows) == ("ingested", 6)
    got = raw_rows(lake_root, "hotel")
    assert [(r["_source_sheet"], r["_source_row"]) for r in got] == [
        ("1月", 1), ("1月", 2), ("1月", 3), ("2月", 4), ("2月", 5), ("2月", 6),
    ]  # fmt: skip
    assert [r["hotel_code"] for r in got] == [r[0] for r in rows]
    assert by_name["cover.xlsx"].status == "rejected"
    reason = by_name["cover.xlsx"].reason
    assert "sheets with different headers: '说明' (本表为住宿设施信息); " in reason
    assert "'数据' (统一社会信用代码, 名称, 星级, 客房数, …)" in reason
    assert "delivery.sheet" in by_name["cover.xlsx"].reason

    def name_sheet(dept: str, data: dict) -> None:
        for r in data["resources"]:
            if r["id"] == "hotel":
                r["delivery"]["sheet"] = "数据"

    named = edited_register(tmp_path, monkeypatch, name_sheet)
    retried = ingest_resource("hotel", register=named, retry_rejected=True)
    assert [(r.path.name, r.status, r.rows) for r in retried.results] == [
        ("cover.xlsx", "ingested", 3)]  # fmt: skip


@pytest.mark.unit
def test_register_sheet_and_delivery_are_checked(tmp_path, monkeypatch) -> None:
    from govlake.register import RegisterError

    def sheet_on_csv(dept: str, data: dict) -> None:
        if dept == "police":
            data["resources"][0]["delivery"]["sheet"] = "数据"

    with pytest.raises(RegisterError, match="sheet '数据' applies only to format xlsx"):
        edited_register(tmp_path / "a", monkeypatch, sheet_on_csv)

    def settle_with_marker(dept: str, data: dict) -> None:
        if dept == "police":
            data["delivery"] = {"completion": "ok_marker", "settle_seconds": 5}

    with pytest.raises(RegisterError, match="settle_seconds applies only to completion: settle"):
        edited_register(tmp_path / "b", monkeypatch, settle_with_marker)

    def unknown_rule(dept: str, data: dict) -> None:
        if dept == "police":
            data["delivery"] = {"completion": "when_ready"}

    expected = r"(?s)police.yml.*delivery / completion: Input should be .ok_marker."
    with pytest.raises(RegisterError, match=expected):
        edited_register(tmp_path / "c", monkeypatch, unknown_rule)


# ---------------------------------------------------------------- 8. JSON and held reasons


def benefit_line(i: int, **extra: object) -> dict:
    return {"citizen_id": person(i)["citizen_id"], "person_name": f"测试{i}",
            "benefit_type": "高龄津贴", "monthly_amount": 300, "start_date": "2024-01-01",
            "street_code": "110107001", **extra}  # fmt: skip


@pytest.mark.integration
def test_json_key_twice_is_a_row_finding_and_nested_values_stay_as_delivered(
    lake_root, register
) -> None:
    from govlake.ingest import ingest_resource

    resource = register.resource("elderly_care_benefit")
    lines = [json.dumps(benefit_line(i), ensure_ascii=False) for i in range(100)]
    lines[2] = lines[2][:-1] + ', "street_code": "110107002"}'  # street_code twice
    nested = '{"月份": [1, 2.50], "备注": {"a": 1e3, "b": null}}'
    lines[4] = lines[4][:-1] + f', "person_name": {nested}' + "}"  # twice, and nested
    lines[5] = json.dumps(benefit_line(5), ensure_ascii=False)[:-1] + (
        f', "street_code" : {nested}' + "}")  # fmt: skip
    lines[5] = lines[5].replace('"street_code": "110107001", ', "")
    deliver(lake_root, resource, "b.jsonl", ("\n".join(lines) + "\n").encode())
    [result] = ingest_resource("elderly_care_benefit", register=register).results
    assert (result.status, result.rows) == ("ingested", 100)
    raw = {r["_source_row"]: r for r in raw_rows(lake_root, "elderly_care_benefit")}
    assert raw[6]["street_code"] == nested  # the delivered text, not {'月份': ['1', '2.50']...}
    assert raw[5]["person_name"] == nested
    assert raw[1]["monthly_amount"] == "300"

    gate("elderly_care_benefit")
    found = quarantine_rows(lake_root, "elderly_care_benefit")
    quarantined = {r["_source_row"]: r for r in found}
    assert "JSON key 'street_code' given more than once" in quarantined[3]["_reason"]
    assert "JSON key 'person_name' given more than once" in quarantined[5]["_reason"]
    assert "expect_json_object_keys_to_be_unique()" in quarantined[3]["_expectation"]
    [entry] = entries("elderly_care_benefit")
    assert (entry["status"], entry["rows"]) == ("accepted", 100)
    assert entry["rows"] == entry["accepted_rows"] + entry["quarantined_rows"]
    assert set(quarantined) == {3, 5, 6}  # 6: its street code is an object


@pytest.mark.integration
def test_status_shows_why_a_batch_is_held(lake_root, register) -> None:
    from govlake.cli.stages import status_rows
    from govlake.ingest import ingest_resource

    resource = register.resource(PERSON)
    names = [f.name for f in resource.fields]
    rows = [[person(i, sex="未知")[n] for n in names] for i in range(10)]
    deliver(lake_root, resource, "bad.csv", csv_bytes(headers_for(resource, names, "zh"), rows,
                                                      "gb18030"))  # fmt: skip
    ingest_resource(PERSON, register=register)
    assert gate(PERSON)["problems"]
    [row] = status_rows([PERSON])
    assert row[3] == "held"
    assert row[6].startswith("HELD registered_person batch") and "threshold 5.00%" in row[6]


@pytest.mark.unit
def test_status_command_prints_waiting_and_versions(lake_root, register) -> None:
    from typer.testing import CliRunner

    from govlake.cli import app

    path = landing_file(lake_root, register.resource(PERSON), "p.csv")
    path.write_bytes(person_csv(register, range(3)))
    out = CliRunner().invoke(app, ["status", PERSON], env={"COLUMNS": "250"})
    assert out.exit_code == 0, out.output
    assert "waiting" in out.output and "no completion marker p.csv.ok yet" in out.output


@pytest.mark.unit
def test_landing_clock(lake_root, register) -> None:
    """The settle rule counts from the last change (mtime or ctime), never from the future."""
    from govlake.ingest.landing import FileStat, waiting_reason
    from govlake.register import DepartmentDelivery

    rule = DepartmentDelivery(completion="settle")
    assert rule.settle == 60
    now = time.time_ns()
    st = FileStat(10, now - 90 * 10**9, now - 30 * 10**9)
    assert "changed 30 s ago" in waiting_reason(Path("x.csv"), st, Path("."), rule, now)
    assert waiting_reason(Path("x.csv"), st, Path("."), rule, now + 31 * 10**9) is None
    future = FileStat(10, now + 10**10, now)
    assert "changed 0 s ago" in waiting_reason(Path("x.csv"), future, Path("."), rule, now)
    assert dt.datetime.fromisoformat(st.received).tzinfo is not None


@pytest.mark.unit
def test_blank_rows_inside_a_sheet_keep_their_numbers(lake_root, register) -> None:
    """Found by the fuzz test: a blank row between sheets' data rows."""
    from govlake.ingest import ingest_resource

    hotel = register.resource("hotel")
    names, rows = rows_for(hotel, 4)
    headers = headers_for(hotel, names, "zh")
    blank = [None] * len(headers)
    path = workbook(
        landing_file(lake_root, hotel, "b.xlsx"),
        {"a": (headers, [rows[0], blank, rows[1]]), "b": (headers, rows[2:])},
    )
    complete(lake_root, hotel, path)
    [result] = ingest_resource("hotel", register=register).results
    assert (result.status, result.rows) == ("ingested", 4), result.reason
    got = [(r["_source_sheet"], r["_source_row"]) for r in raw_rows(lake_root, "hotel")]
    assert got == [("a", 1), ("a", 3), ("b", 4), ("b", 5)]
