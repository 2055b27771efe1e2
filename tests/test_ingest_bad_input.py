"""Bad input: each kind of broken delivery is rejected with a reason naming the file, the row
where it applies and the rule; the rejection is in the manifest, and the good files of the
same run are still ingested."""

from __future__ import annotations

import io
import zipfile

import pytest
from test_ingest import (
    complete,
    csv_bytes,
    deliver,
    headers_for,
    jsonl_bytes,
    landing_file,
    raw_rows,
    rows_for,
    write_xlsx,
)

pytestmark = pytest.mark.unit


def _person_csv(register, *, n=20, skip=(), extra=None, encoding="gb18030") -> bytes:
    resource = register.resource("registered_person")
    names, rows = rows_for(resource, n, skip=skip)
    headers = headers_for(resource, names, "zh")
    if extra:
        headers += [extra]
        rows = [[*r, "x"] for r in rows]
    return csv_bytes(headers, rows, encoding)


def _bad_person_files(register) -> dict[str, tuple[bytes, str]]:
    """file name → (content, a phrase its rejection reason must contain)."""
    good = _person_csv(register)
    header, _, body = good.partition(b"\r\n")
    lines = body.split(b"\r\n")
    ragged = b"\r\n".join([header, *lines[:3], lines[3].rsplit(b",", 2)[0], *lines[4:]])
    not_text = good[:200] + b"\xff\xfe\x80" + good[200:]
    width = len(register.resource("registered_person").fields)
    return {
        "empty.csv": (b"", "empty file (0 bytes)"),
        "header_only.csv": (header + b"\r\n", "header only, no data rows"),
        "no_id.csv": (
            _person_csv(register, skip=("citizen_id",)),
            "missing mandatory column(s): citizen_id (公民身份号码)",
        ),
        "extra.csv": (_person_csv(register, extra="备注"), "unexpected column(s): '备注'"),
        "ragged.csv": (
            ragged,
            f"ragged CSV: data row 4 (line 5) has {width - 2} fields, the header has {width}",
        ),
        "binary.csv": (not_text, "wrong encoding: neither UTF-8"),
        "notes.txt": (b"hello", "unsupported file type '.txt'"),
    }


def test_each_bad_file_rejected_clearly_others_ingested(lake_root, register) -> None:
    from govlake.ingest import ingest_resource, read_manifest

    resource = register.resource("registered_person")
    bad = _bad_person_files(register)
    for name, (content, _) in bad.items():
        deliver(lake_root, resource, name, content)
    good = deliver(lake_root, resource, "good.csv", _person_csv(register, n=25))

    report = ingest_resource("registered_person", register=register)
    by_name = {r.path.name: r for r in report.results}
    assert by_name["good.csv"].status == "ingested"
    assert report.rows == 25 == len(raw_rows(lake_root, "registered_person"))
    assert {r.path.name for r in report.rejected} == set(bad)
    message = report.message()
    for name, (_, phrase) in bad.items():
        assert phrase in by_name[name].reason, (name, by_name[name].reason)
        assert f"{name}: {by_name[name].reason}" in message
    entries = {e["path"].rsplit("/", 1)[1]: e for e in read_manifest("registered_person")}
    assert entries["good.csv"]["status"] == "ingested"
    for name, (_, phrase) in bad.items():
        assert entries[name]["status"] == "rejected"
        assert phrase in entries[name]["reason"]
        assert entries[name]["raw_path"] is None
    assert good.exists() and all((good.parent / n).exists() for n in bad)  # nothing moved


def test_wrong_encoding_names_offset_and_line(lake_root, register) -> None:
    from govlake.ingest import ingest_resource

    resource = register.resource("registered_person")
    content = "公民身份号码,姓名\n1,王\n".encode() + b"2,\xff\xff\n"
    deliver(lake_root, resource, "x.csv", content)
    [r] = ingest_resource("registered_person", register=register).rejected
    offset = content.index(b"\xff")
    assert f"invalid byte 0xff at offset {offset}, line 3" in r.reason


def test_bom_then_invalid_utf8_is_rejected(lake_root, register) -> None:
    from govlake.ingest import ingest_resource

    resource = register.resource("scenic_spot")
    deliver(lake_root, resource, "x.csv", b"\xef\xbb\xbf" + "景区编码\n".encode("gb18030") +
            "一\n".encode("gb18030"))  # fmt: skip
    [r] = ingest_resource("scenic_spot", register=register).rejected
    assert "starts with a UTF-8 BOM but byte" in r.reason


def test_gb18030_without_bom_is_detected(lake_root, register) -> None:
    from govlake.ingest import ingest_resource, read_manifest

    resource = register.resource("scenic_spot")
    names, rows = rows_for(resource, 8)
    deliver(lake_root, resource, "s.csv", csv_bytes(headers_for(resource, names, "zh"), rows,
                                                    "gb18030"))  # fmt: skip
    assert ingest_resource("scenic_spot", register=register).rows == 8
    assert read_manifest("scenic_spot")[0]["encoding"] == "gb18030"
    assert raw_rows(lake_root, "scenic_spot")[0]["spot_name"] == rows[0][1]


@pytest.mark.integration
def test_not_a_workbook(lake_root, register) -> None:
    from govlake.ingest import ingest_resource

    resource = register.resource("hotel")
    deliver(lake_root, resource, "text.xlsx", b"this is not a workbook")
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.writestr("readme.txt", "hello")
    deliver(lake_root, resource, "zip.xlsx", zipped.getvalue())
    names, rows = rows_for(resource, 4)
    good = write_xlsx(landing_file(lake_root, resource, "good.xlsx"),
                      headers_for(resource, names, "zh"), rows)  # fmt: skip
    header_only = write_xlsx(landing_file(lake_root, resource, "header_only.xlsx"),
                             headers_for(resource, names, "zh"), [])  # fmt: skip
    complete(lake_root, resource, good, header_only)
    report = ingest_resource("hotel", register=register)
    reasons = {r.path.name: r.reason for r in report.rejected}
    assert "not a workbook" in reasons["text.xlsx"]
    assert "not a workbook" in reasons["zip.xlsx"]
    assert "header only" in reasons["header_only.xlsx"]
    assert report.rows == 4


def test_json_line_that_does_not_parse(lake_root, register) -> None:
    from govlake.ingest import ingest_resource

    resource = register.resource("elderly_care_benefit")
    names, rows = rows_for(resource, 6)
    lines = jsonl_bytes(names, rows).split(b"\n")
    lines[3] = lines[3][:-5]  # line 4 cut short
    deliver(lake_root, resource, "bad.jsonl", b"\n".join(lines))
    deliver(lake_root, resource, "list.jsonl", b'{"citizen_id": "1"}\n[1, 2]\n')
    deliver(lake_root, resource, "good.jsonl", jsonl_bytes(names, rows))
    report = ingest_resource("elderly_care_benefit", register=register)
    reasons = {r.path.name: r.reason for r in report.rejected}
    assert reasons["bad.jsonl"].startswith("JSON line 4 does not parse")
    assert reasons["list.jsonl"] == "JSON line 2 is not an object"
    assert report.rows == 6


def test_json_numbers_and_booleans_keep_their_text(lake_root, register) -> None:
    from govlake.ingest import ingest_resource

    resource = register.resource("investment_project")
    names, rows = rows_for(resource, 2)
    rec = dict(zip(names, rows[0], strict=True))
    text = jsonl_bytes(names, rows[:1]).decode()
    text = text.replace('"total_investment": "0"', '"total_investment": 12.50')
    deliver(lake_root, resource, "p.jsonl", text.encode())
    assert ingest_resource("investment_project", register=register).rows == 1
    [row] = raw_rows(lake_root, "investment_project")
    assert row["total_investment"] == "12.50"
    assert row["project_name"] == rec["project_name"]


def test_file_outside_a_date_folder(lake_root, register) -> None:
    from govlake.ingest import ingest_resource

    resource = register.resource("scenic_spot")
    names, rows = rows_for(resource, 2)
    folder = landing_file(lake_root, resource, "x").parent.parent
    (folder / "loose.csv").write_bytes(csv_bytes(names, rows, "utf-8"))
    complete(lake_root, resource, folder / "loose.csv")
    [r] = ingest_resource("scenic_spot", register=register).rejected
    assert "not inside a YYYY-MM-DD date folder" in r.reason


def test_rejected_files_skipped_unless_retry(lake_root, register) -> None:
    from govlake.ingest import ingest_resource, pending_files

    resource = register.resource("registered_person")
    deliver(lake_root, resource, "extra.csv", _person_csv(register, extra="备注"))
    assert len(ingest_resource("registered_person", register=register).rejected) == 1
    assert pending_files("registered_person", register=register) == []
    assert ingest_resource("registered_person", register=register).results == []
    retried = ingest_resource("registered_person", register=register, retry_rejected=True)
    assert [r.status for r in retried.results] == ["rejected"]


def test_duplicate_column_under_label_and_name(lake_root, register) -> None:
    from govlake.ingest import ingest_resource

    resource = register.resource("scenic_spot")
    names, rows = rows_for(resource, 3)
    headers = [*headers_for(resource, names, "zh"), names[0]]
    deliver(lake_root, resource, "x.csv", csv_bytes(headers, [[*r, r[0]] for r in rows], "utf-8"))
    [r] = ingest_resource("scenic_spot", register=register).rejected
    assert f"column(s) delivered twice: {names[0]}" in r.reason
