"""Ingest: every format and encoding round-trips row for row into raw, pseudonyms equal
Python's hmac of the normalised value, re-runs add nothing, and a killed writer leaves
nothing visible."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import hmac
import io
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from govlake.identifiers import (
    citizen_id_problem,
    credit_code_problem,
    make_citizen_id,
    make_credit_code,
    normalise,
)
from govlake.lake import Lake

KEY = b"test-key-not-secret"  # conftest's GOVLAKE_HMAC_KEY
DAY = "2026-11-02"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英"


# ---------------------------------------------------------------- helpers (also used by
# test_ingest_bad_input.py)


def value_for(field, i: int) -> str | None:
    """A plausible delivered value for row ``i``: valid IDs, Chinese text, some blanks."""
    fmt = field.format.value if field.format else None
    if fmt == "citizen_id":
        born = dt.date(1940, 1, 1) + dt.timedelta(days=(i * 37) % 25000)
        return make_citizen_id("110107", born, i, i % 2 == 0)
    if fmt == "credit_code":
        return make_credit_code("91", "110107", f"{i:09d}")
    if field.nullable and i % 7 == 3:
        return None
    if fmt == "street_code":
        return f"11010700{i % 9 + 1}"
    if field.type.value in ("integer", "decimal"):
        return str(i * 3)
    if field.type.value == "date":
        return (dt.date(2000, 1, 1) + dt.timedelta(days=i)).isoformat()
    name = SURNAMES[i % len(SURNAMES)] + GIVEN[(i * 7) % len(GIVEN)]
    if i % 11 == 5:
        return f' {name}, "引号" '  # comma, quotes and spaces must survive CSV quoting
    return f"{name}{i}"


def rows_for(resource, n: int, *, skip: tuple[str, ...] = ()) -> tuple[list[str], list[list]]:
    """Field names (without ``skip``) and ``n`` rows of values."""
    fields = [f for f in resource.fields if f.name not in skip]
    return [f.name for f in fields], [[value_for(f, i) for f in fields] for i in range(n)]


def headers_for(resource, names: list[str], lang: str) -> list[str]:
    return [resource.field_map[n].label if lang == "zh" else n for n in names] if names else []


def csv_bytes(headers: list[str], rows: list[list], encoding: str) -> bytes:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows([["" if v is None else v for v in row] for row in rows])
    return buf.getvalue().encode(encoding)


def jsonl_bytes(headers: list[str], rows: list[list]) -> bytes:
    lines = [
        json.dumps({h: v for h, v in zip(headers, row, strict=True) if v is not None},
                   ensure_ascii=False)
        for row in rows
    ]  # fmt: skip
    return ("\n".join(lines) + "\n").encode("utf-8")


def write_xlsx(path: Path, headers: list[str], rows: list[list]) -> Path:
    from govlake.duck import connect

    path.parent.mkdir(parents=True, exist_ok=True)
    cols = list(zip(*rows, strict=True)) if rows else [[] for _ in headers]
    table = pa.table(
        {h: pa.array(list(c), pa.string()) for h, c in zip(headers, cols, strict=True)}
    )
    con = connect()
    con.register("t", table)
    con.execute(f"copy t to '{path}' (format xlsx, header true)")
    con.close()
    return path


def landing_file(lake_root: Path, resource, name: str, day: str = DAY) -> Path:
    path = Lake(lake_root).landing(resource.department, resource.id) / day / name
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def complete(lake_root: Path, resource, *paths: Path) -> Path:
    """Mark landing files complete as the resource's department does (register
    ``delivery.completion``: ``<file>.ok`` or ``_SUCCESS``); returns the first path."""
    from govlake.ingest.landing import mark_complete

    delivery = _register().departments[resource.department].delivery
    mark_complete(Lake(lake_root), resource, delivery, list(paths))
    return paths[0]


@functools.cache
def _register():
    from govlake.register import load_register

    return load_register(Path(__file__).resolve().parents[1] / "catalog")


def deliver(lake_root: Path, resource, name: str, content: bytes, day: str = DAY) -> Path:
    """Write a landing file and its completion marker, as a department's exchange server does."""
    path = landing_file(lake_root, resource, name, day)
    path.write_bytes(content)
    return complete(lake_root, resource, path)


def raw_rows(lake_root: Path, resource_id: str) -> list[dict]:
    parts = sorted((Lake(lake_root).raw(resource_id)).glob("*/part-*.parquet"))
    return [r for p in parts for r in pq.read_table(p).to_pylist()]


def py_hmac(value: str) -> str:
    return hmac.new(KEY, normalise(value).encode(), hashlib.sha256).hexdigest()


# ---------------------------------------------------------------- round trips

CASES = [
    # resource, file type, encoding, header language
    ("registered_person", "csv", "gb18030", "zh"),
    ("household", "csv", "gb18030", "en"),
    ("enterprise_registration", "csv", "utf-8-sig", "zh"),
    ("economic_indicator", "csv", "utf-8", "en"),
    ("medical_institution", "xlsx", None, "zh"),
    ("social_insurance_enrolment", "xlsx", None, "en"),
    ("elderly_care_benefit", "jsonl", "utf-8", "en"),
    ("disability_benefit", "jsonl", "utf-8", "zh"),
]


def write_delivery(lake_root, resource, kind, encoding, lang, n=60, skip=()) -> tuple[Path, list]:
    names, rows = rows_for(resource, n, skip=skip)
    headers = headers_for(resource, names, lang)
    name = f"{resource.id}.{kind}"
    if kind == "csv":
        path = deliver(lake_root, resource, name, csv_bytes(headers, rows, encoding))
    elif kind == "jsonl":
        path = deliver(lake_root, resource, name, jsonl_bytes(headers, rows))
    else:
        path = write_xlsx(landing_file(lake_root, resource, name), headers, rows)
        complete(lake_root, resource, path)
    return path, [dict(zip(names, r, strict=True)) for r in rows]


@pytest.mark.integration
@pytest.mark.parametrize(("rid", "kind", "encoding", "lang"), CASES, ids=[c[0] for c in CASES])
def test_round_trip_row_for_row(lake_root, register, rid, kind, encoding, lang) -> None:
    from govlake.ingest import ingest_resource, read_manifest

    resource = register.resource(rid)
    path, written = write_delivery(lake_root, resource, kind, encoding, lang)
    report = ingest_resource(rid, register=register)
    assert report.message() == ""
    [result] = report.results
    assert (result.status, result.rows) == ("ingested", len(written))
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    assert result.batch_id == sha[:16]
    assert result.raw_path == (Lake(lake_root).raw_partition(rid, DAY) / f"part-{sha[:16]}.parquet")

    table = pq.read_table(result.raw_path)
    keys = [f.pseudonym_column for f in resource.fields if f.pseudonymised]
    assert table.column_names == [
        *(f.name for f in resource.fields), *keys,
        "_batch_id", "_source_file", "_source_sheet", "_source_row", "_ingested_at",
    ]  # fmt: skip
    sheets = {row["_source_sheet"] for row in table.to_pylist()}
    assert sheets == ({"Sheet1"} if kind == "xlsx" else {None})
    assert all(table.schema.field(f.name).type == pa.string() for f in resource.fields)
    assert table.schema.field("_source_row").type == pa.int64()
    assert table.schema.field("_ingested_at").type == pa.timestamp("us", tz="UTC")
    got = table.to_pylist()
    rel = path.relative_to(lake_root / "landing").as_posix()
    for i, (row, want) in enumerate(zip(got, written, strict=True), start=1):
        assert {f.name: row[f.name] for f in resource.fields} == want
        assert (row["_source_row"], row["_source_file"], row["_batch_id"]) == (i, rel, sha[:16])
        for f in resource.fields:
            if f.pseudonymised:
                want_key = py_hmac(want[f.name]) if want[f.name] else None
                assert row[f.pseudonym_column] == want_key

    [entry] = read_manifest(rid)
    assert entry["path"] == rel
    assert entry["status"] == "ingested"
    assert (entry["sha256"], entry["size"], entry["rows"]) == (sha, path.stat().st_size, 60)
    assert entry["batch_date"] == DAY
    assert entry["raw_path"] == result.raw_path.relative_to(lake_root).as_posix()
    assert entry["department"] == resource.department
    assert entry["invalid_identifiers"] == 0
    assert dt.datetime.fromisoformat(entry["received"]).utcoffset() == dt.timedelta(0)
    assert entry["encoding"] == encoding


@pytest.mark.unit
def test_absent_nullable_column_is_all_null(lake_root, register) -> None:
    from govlake.ingest import ingest_resource

    resource = register.resource("registered_person")
    write_delivery(lake_root, resource, "csv", "gb18030", "zh", skip=("ethnicity", "move_in_date"))
    report = ingest_resource("registered_person", register=register)
    assert report.rows == 60
    rows = raw_rows(lake_root, "registered_person")
    assert {r["ethnicity"] for r in rows} == {None}
    assert {r["move_in_date"] for r in rows} == {None}
    assert all(r["person_name"] for r in rows)


@pytest.mark.unit
def test_headers_with_bom_and_spaces_map(lake_root, register) -> None:
    from govlake.ingest import ingest_resource

    resource = register.resource("scenic_spot")
    names, rows = rows_for(resource, 5)
    headers = [f" {h}\t" for h in headers_for(resource, names, "zh")]
    headers[0] = "\ufeff" + headers[0]  # a BOM inside a UTF-8 file (two BOMs after export)
    deliver(lake_root, resource, "s.csv", csv_bytes(headers, rows, "utf-8-sig"))
    report = ingest_resource("scenic_spot", register=register)
    assert (report.message(), report.rows) == ("", 5)
    assert raw_rows(lake_root, "scenic_spot")[0]["spot_name"] == rows[0][1]


# ---------------------------------------------------------------- pseudonyms and identifiers


@pytest.mark.unit
def test_pseudonym_is_hmac_of_normalised_value(lake_root, register) -> None:
    from govlake.ingest import ingest_resource

    resource = register.resource("registered_person")
    names, rows = rows_for(resource, 4)
    clean = rows[0][0]
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in clean)  # １１０１…
    rows[1][0] = f" {full_width[:6]} {full_width[6:]}\u3000"
    rows[2][0] = clean[:9] + "\t" + clean[9:]
    rows[3][0] = "   "  # blank: no pseudonym
    headers = headers_for(resource, names, "zh")
    deliver(lake_root, resource, "p.csv", csv_bytes(headers, rows, "gb18030"))
    ingest_resource("registered_person", register=register)
    got = raw_rows(lake_root, "registered_person")
    expected = hmac.new(KEY, clean.encode(), hashlib.sha256).hexdigest()
    assert [r["citizen_id_key"] for r in got] == [expected, expected, expected, None]
    assert got[1]["citizen_id"] == rows[1][0]  # raw keeps the delivered text


@pytest.mark.unit
def test_normalise_array_equals_python() -> None:
    from govlake.ingest.pseudonym import normalise_array

    values = [
        "abc x", " 110107\t1990\n", "ｘ１２", "a\x1cb\x0bc", "\u3000Ab\u00a0c", "", None,
        "ﬁ", "Straße", "ⅻ", "１１０１０７１９９００１０１００１Ｘ",
    ]  # fmt: skip
    got = normalise_array(pa.array(values, pa.string())).to_pylist()
    assert got == [None if v is None else normalise(v) for v in values]


@pytest.mark.unit
def test_dirty_values_found_on_bytes_are_what_the_regex_finds() -> None:
    """``normalise_array`` finds the values to fix on the UTF-8 bytes, not with RE2: the same
    rows as ``[^0-9A-Z]``, for sliced arrays, large strings, nulls and non-ASCII too."""
    import pyarrow.compute as pc

    from govlake.ingest.pseudonym import _dirty

    values = ["110107199001010019", "11010719900101001x", "", None, "AB 12", "ÀB", "Z9",
              "１２", "@", "[", "`", "{", "/", ":", "\x7f", "0", "09AZ"]  # fmt: skip
    for arr in (pa.array(values), pa.array(values).slice(3, 9), pa.array(values, pa.large_string()),
                pa.array([None, None], pa.string()), pa.array([], pa.string())):  # fmt: skip
        regex = pc.fill_null(pc.match_substring_regex(arr, "[^0-9A-Z]"), False).to_pylist()
        assert _dirty(arr).tolist() == regex, arr


@pytest.mark.unit
def test_hmac_hex_equals_python_for_long_keys() -> None:
    from govlake.ingest.pseudonym import hmac_hex

    key = b"k" * 100  # longer than the block: hashed first, as hmac does
    values = ["110107199001010011", None, "", "王"]
    got = hmac_hex(pa.array(values, pa.string()), key).to_pylist()
    want = [hmac.new(key, v.encode(), hashlib.sha256).hexdigest() if v else None for v in values]
    assert got == want


def _perturbed_ids(rng: random.Random, n: int) -> list[str]:
    """Valid IDs and credit codes and each kind of near miss."""
    out = []
    for i in range(n):
        born = dt.date(1900, 1, 1) + dt.timedelta(days=rng.randrange(45000))
        good = make_citizen_id(rng.choice(["110107", "110101", "110229", "999999"]), born, i, True)
        cc = make_credit_code("91", rng.choice(["110107", "ABCDEF"]), f"{i:09d}")
        choice = rng.randrange(8)
        if choice == 0:
            good = good[:17] + str((int(good[17]) + 1) % 10 if good[17] != "X" else 0)
        elif choice == 1:
            good = good[:10] + "0230" + good[14:]  # 30 February
        elif choice == 2:
            good = good[:6] + "20990101" + good[14:]  # future
        elif choice == 3:
            good = good[:17] + "X"
        elif choice == 4:
            cc = cc[:17] + "I"
        elif choice == 5:
            cc = cc[:-1]
        out += [good, cc]
    return out


@pytest.mark.unit
def test_invalid_identifier_counts_equal_python_checks() -> None:
    from govlake.ingest.idcheck import count_invalid

    values = [*_perturbed_ids(random.Random(3), 3000), "11010719000229001X", "١١٠١٠٧"]
    arr = pa.array([normalise(v) for v in values])
    want_ids = sum(citizen_id_problem(v) is not None for v in arr.to_pylist())
    want_cc = sum(credit_code_problem(v) is not None for v in arr.to_pylist())
    assert 0 < want_ids < len(values)
    assert count_invalid(arr, "citizen_id") == want_ids
    assert count_invalid(arr, "credit_code") == want_cc


@pytest.mark.unit
def test_invalid_identifiers_recorded_in_manifest(lake_root, register) -> None:
    from govlake.ingest import ingest_resource, read_manifest

    resource = register.resource("tax_registration")
    names, rows = rows_for(resource, 10)
    rows[2][0] = rows[2][0][:17] + ("0" if rows[2][0][17] != "0" else "1")
    rows[5][0] = "１２３"
    deliver(lake_root, resource, "t.csv", csv_bytes(headers_for(resource, names, "zh"), rows,
                                                     "gb18030"))  # fmt: skip
    ingest_resource("tax_registration", register=register)
    [entry] = read_manifest("tax_registration")
    assert entry["invalid_identifiers"] == 2
    assert entry["invalid_identifiers_by_field"] == {"credit_code": 2}
    assert entry["rows"] == 10  # counted, not dropped: quarantine is the gate's job
    # which rows, recorded in the raw part's footer for the gate (judged as of the batch date)
    from govlake.ingest.idcheck import recorded_invalid_rows

    footer = pq.read_metadata(lake_root / entry["raw_path"]).metadata
    day = dt.date.fromisoformat(entry["batch_date"])
    recorded = recorded_invalid_rows(footer, as_of=day, rows=10)
    assert [i for i, bad in enumerate(recorded["credit_code"]) if bad] == [2, 5]
    assert recorded_invalid_rows(footer, as_of=day + dt.timedelta(days=1), rows=10) == {}


# ---------------------------------------------------------------- idempotency and manifest


@pytest.mark.unit
def test_rerun_and_duplicates_add_no_rows(lake_root, register) -> None:
    from govlake.ingest import ingest_resource, pending_files, read_manifest

    resource = register.resource("registered_person")
    first, _ = write_delivery(lake_root, resource, "csv", "gb18030", "zh")
    assert ingest_resource("registered_person", register=register).rows == 60
    assert pending_files("registered_person", register=register) == []
    again = ingest_resource("registered_person", register=register)
    assert (again.results, again.rows) == ([], 0)

    copy = landing_file(lake_root, resource, "again.csv", "2026-11-03")
    shutil.copyfile(first, copy)
    complete(lake_root, resource, copy)
    report = ingest_resource("registered_person", register=register)
    [dup] = report.results
    assert dup.status == "duplicate"
    assert first.relative_to(lake_root / "landing").as_posix() in dup.reason
    assert report.rows == 0
    assert len(raw_rows(lake_root, "registered_person")) == 60
    assert sorted(e["status"] for e in read_manifest("registered_person")) == [
        "duplicate", "ingested",
    ]  # fmt: skip
    assert list(Lake(lake_root).raw("registered_person").glob("batch_date=2026-11-03")) == []


@pytest.mark.unit
def test_ingest_file_twice_at_same_path_is_skipped(lake_root, register) -> None:
    from govlake.ingest import ingest_file

    resource = register.resource("scenic_spot")
    path, _ = write_delivery(lake_root, resource, "csv", "utf-8", "zh", n=3)
    assert ingest_file(path, "scenic_spot", register=register).status == "ingested"
    second = ingest_file(path, "scenic_spot", register=register)
    assert (second.status, second.rows) == ("duplicate", 0)
    assert len(raw_rows(lake_root, "scenic_spot")) == 3


@pytest.mark.unit
def test_update_status_keeps_entry_fields(lake_root, register) -> None:
    from govlake.ingest import ingest_resource, read_manifest, update_status

    resource = register.resource("scenic_spot")
    write_delivery(lake_root, resource, "csv", "utf-8", "zh", n=3)
    ingest_resource("scenic_spot", register=register)
    [entry] = read_manifest("scenic_spot")
    update_status(entry, "accepted", accepted_rows=3, quarantined_rows=0)
    [after] = read_manifest("scenic_spot")
    assert after["status"] == "accepted"
    assert (after["accepted_rows"], after["sha256"], after["rows"]) == (3, entry["sha256"], 3)
    with pytest.raises(ValueError, match="unknown manifest status"):
        update_status(entry, "fine")
    # an accepted file is not pending and its content still counts for duplicates
    copy = landing_file(lake_root, resource, "copy.csv", "2026-11-05")
    shutil.copyfile(lake_root / "landing" / entry["path"], copy)
    complete(lake_root, resource, copy)
    [dup] = ingest_resource("scenic_spot", register=register).results
    assert dup.status == "duplicate"


# ---------------------------------------------------------------- atomicity under SIGKILL

KILL_SCRIPT = """
import sys
from pathlib import Path
from govlake.ingest import ingest_resource
ingest_resource(sys.argv[1])
"""


def _big_csv(resource, n: int) -> bytes:
    names, rows = rows_for(resource, 1000)
    headers = headers_for(resource, names, "zh")
    body = csv_bytes(headers, rows, "gb18030")
    head, _, data = body.partition(b"\r\n")
    return head + b"\r\n" + data * (n // 1000)


@pytest.mark.integration
def test_killed_writer_leaves_nothing_visible(lake_root, register) -> None:
    resource = register.resource("registered_person")
    n = 400_000
    deliver(lake_root, resource, "big.csv", _big_csv(resource, n))
    partition = Lake(lake_root).raw_partition("registered_person", DAY)
    env = {**os.environ, "GOVLAKE_LAKE_ROOT": str(lake_root)}
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, "registered_person"], env=env)
    seen_tmp = False
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        if partition.exists() and any(p.startswith(".tmp-") for p in os.listdir(partition)):
            proc.send_signal(signal.SIGKILL)
            seen_tmp = True
            break
        time.sleep(0.001)
    proc.wait()
    assert seen_tmp, "the writer finished before the test saw its temp file"
    assert proc.returncode == -signal.SIGKILL
    assert list(partition.glob("part-*.parquet")) == []  # nothing visible
    assert [p.name for p in partition.iterdir() if p.name.startswith(".tmp-")]  # the leftover
    from govlake.ingest import ingest_resource, read_manifest

    assert read_manifest("registered_person") == []  # no entry claims the file

    report = ingest_resource("registered_person", register=register)
    assert (report.message(), report.rows) == ("", n)
    assert [p.name for p in partition.iterdir()] == [f"part-{report.results[0].batch_id}.parquet"]
    assert pq.read_metadata(report.results[0].raw_path).num_rows == n
    [entry] = read_manifest("registered_person")
    assert (entry["status"], entry["rows"]) == ("ingested", n)


# ---------------------------------------------------------------- large multi-byte decode


@pytest.mark.integration
def test_large_gb18030_file_decodes_exactly(tmp_path: Path) -> None:
    """STACK_NOTES: DuckDB's encodings extension silently corrupted one row in 570k; ours must
    equal an independent Python decode row for row."""
    from govlake.ingest.readers import read_csv

    rng = random.Random(11)
    rare = "𠀀𪚥䶮丨乂亍〇鿏堃喆犇淼镕頔"  # 4-byte GB18030 and rare CJK
    lines = ["公民身份号码,姓名,住址"]
    for i in range(200_000):
        born = dt.date(1930, 1, 1) + dt.timedelta(days=rng.randrange(30000))
        cid = make_citizen_id("110107", born, i, i % 2 == 0)
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN + rare) for _ in range(2))
        lines.append(
            f"{cid},{name},北京市石景山区{rng.choice('八宝山老山八角古城苹果园')}街道{i}号"
        )
    data = ("\r\n".join(lines) + "\r\n").encode("gb18030")
    extract = read_csv(data)
    assert extract.encoding == "gb18030"
    got = list(zip(*(c.to_pylist() for c in extract.table.columns), strict=True))
    want = [tuple(r) for r in csv.reader(io.StringIO(data.decode("gb18030"), newline=""))][1:]
    assert len(got) == 200_000
    assert got == want


# ---------------------------------------------------------------- the generator's sample


@pytest.mark.integration
def test_tiny_sample_ingests_every_resource(lake_root, register) -> None:
    sample = pytest.importorskip("govlake.sample")
    from govlake.ingest import ingest_resource, read_manifest

    result = sample.generate(lake_root, scale="tiny", seed=5, batch_date=dt.date(2026, 11, 2))
    for rid in register.resources:
        report = ingest_resource(rid, register=register)
        assert report.message() == ""
        assert report.rows == result.rows[rid], rid
        assert len(raw_rows(lake_root, rid)) == result.rows[rid]
        assert {e["status"] for e in read_manifest(rid)} == {"ingested"}
