"""The synthetic sample generator: files as the register declares them, valid identifiers,
every injected defect and disagreement recorded exactly, determinism and streaming.

Files are read back independently of ``govlake.ingest`` (Python csv with the declared
encoding, DuckDB ``read_xlsx``, json), so a reader bug cannot hide a generator bug.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from govlake.formats import DATE_FORMATS, MONTH_FORMATS
from govlake.identifiers import (
    citizen_id_birth_date,
    citizen_id_problem,
    citizen_id_sex,
    credit_code_problem,
    division_codes,
)
from govlake.register import FieldFormat, FieldType
from govlake.sample.scales import SCALES

DAY = dt.date(2026, 11, 2)
SEED = 11
TINY = SCALES["tiny"]


# ---------------------------------------------------------------------------- readers
def read_back(path: Path, resource) -> tuple[list[str], list[list[str | None]]]:
    """Header and rows of a landing file, decoded independently; empty cells → None."""
    fmt = resource.delivery.format
    if fmt == "csv":
        with open(path, encoding=resource.delivery.encoding, newline="") as fh:
            rows = list(csv.reader(fh))
        return rows[0], [[v if v != "" else None for v in r] for r in rows[1:]]
    if fmt == "jsonl":
        records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        header = list(records[0])
        assert all(list(r) == header for r in records), "every JSON line has the same keys"
        return header, [[r[h] for h in header] for r in records]
    from govlake.duck import connect

    con = connect()
    try:
        rel = con.execute(
            "select * from read_xlsx(?, header = true, all_varchar = true, stop_at_empty = false)",
            [str(path)],
        )
        header = [d[0] for d in rel.description]
        return header, [list(r) for r in rel.fetchall()]
    finally:
        con.close()


def clean(value: str | None) -> str | None:
    """What staging does to cosmetic noise: NFKC, trim (incl. U+3000)."""
    return None if value is None else unicodedata.normalize("NFKC", value).strip()


def parse_date(value: str, month: bool) -> str | None:
    for pattern in MONTH_FORMATS if month else DATE_FORMATS:
        try:
            d = dt.datetime.strptime(value, pattern).date()
        except ValueError:
            continue
        return f"{d:%Y-%m}" if month else d.isoformat()
    return None


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, register):
    from govlake.sample import generate

    root = tmp_path_factory.mktemp("sample") / "lake"
    result = generate(root, scale="tiny", seed=SEED, batch_date=DAY, register=register)
    files = {}
    for rid, res in register.resources.items():
        [path] = result.files_of(rid)
        header, rows = read_back(path, res)
        files[rid] = (path, header, rows)
    defects = pq.read_table(result.defects_path).to_pylist()
    disagreements = pq.read_table(result.disagreements_path).to_pylist()
    return result, files, defects, disagreements


def by_name(register, rid: str, rows: list[list[str | None]]) -> list[dict[str, str | None]]:
    names = [f.name for f in register.resource(rid).fields]
    return [dict(zip(names, r, strict=True)) for r in rows]


def defect_index(defects: list[dict]) -> dict[str, dict[int, dict]]:
    out: dict[str, dict[int, dict]] = defaultdict(dict)
    for d in defects:
        assert d["source_row"] not in out[d["resource"]], "at most one defect per row"
        out[d["resource"]][d["source_row"]] = d
    return out


# ---------------------------------------------------------------------------- files
@pytest.mark.unit
def test_one_file_per_resource_in_its_declared_delivery(tiny, register) -> None:
    result, files, _, _ = tiny
    assert set(files) == set(register.resources) == set(result.rows)
    for rid, (path, header, rows) in files.items():
        res = register.resource(rid)
        want = Path(res.department) / rid / str(DAY) / f"{rid}.{res.delivery.format}"
        assert path == result.lake_root / "landing" / want
        names = [f.label if res.delivery.headers == "zh" else f.name for f in res.fields]
        assert header == names, rid
        assert len(rows) == result.rows[rid] > 0, rid
        data = path.read_bytes()
        if res.delivery.format == "csv":
            enc = res.delivery.encoding
            assert data.startswith(b"\xef\xbb\xbf") == (enc == "utf-8-sig"), rid
            if enc == "gb18030":  # Chinese in GB18030 is not valid UTF-8
                with pytest.raises(UnicodeDecodeError):
                    data.decode("utf-8")
                data.decode("gb18030")
            else:
                data.decode(enc)
    assert not list(result.lake_root.rglob(".tmp-*")), "no temporary files left behind"


@pytest.mark.unit
def test_tiny_sizes_and_truth(tiny) -> None:
    result, _files, defects, disagreements = tiny
    truth = json.loads(result.truth_path.read_text(encoding="utf-8"))
    assert truth["persons"] == TINY.persons
    assert 0.35 * TINY.persons <= truth["households"] <= 0.45 * TINY.persons
    assert truth["entities"] == TINY.entities
    assert truth["rows"] == result.rows
    assert result.defects == len(defects) == sum(sum(v.values()) for v in truth["defects"].values())
    assert result.disagreements == len(disagreements) > 0
    by_cell = sum(c["persons"] for c in truth["persons_by_street_sex_age_band"])
    assert by_cell == truth["persons_valid_police"]
    fatal_persons = {
        d["source_row"]
        for d in defects
        if d["resource"] == "registered_person" and d["fatal"] and d["kind"] != "duplicate_row"
    }
    assert truth["persons_valid_police"] == TINY.persons - len(fatal_persons)
    for rid, n in result.rows.items():
        fatal = sum(1 for d in defects if d["resource"] == rid and d["fatal"])
        assert truth["accepted_rows"][rid] == n - fatal


# ---------------------------------------------------------------------------- defects
@pytest.mark.unit
def test_every_recorded_defect_is_in_the_file(tiny, register) -> None:
    result, files, defects, _ = tiny
    assert {d["kind"] for d in defects} == {
        "bad_check_char",
        "duplicate_row",
        "blank_mandatory",
        "unknown_street_code",
        "fullwidth_digits",
        "stray_spaces",
        "mixed_date_format",
    }
    vocab_streets = set(register.vocab["street"])
    for d in defects:
        res = register.resource(d["resource"])
        path, _header, rows = files[d["resource"]]
        assert d["source_file"] == path.relative_to(result.lake_root / "landing").as_posix()
        row = rows[d["source_row"] - 1]
        if d["kind"] == "duplicate_row":
            assert d["field"] is None and d["fatal"]
            assert d["duplicate_of"] < d["source_row"]
            assert row == rows[d["duplicate_of"] - 1]
            continue
        item = res.field_map[d["field"]]
        value = row[[f.name for f in res.fields].index(d["field"])]
        assert value == d["delivered_value"], d
        assert value != d["clean_value"]
        kind = d["kind"]
        assert d["fatal"] == (kind in {"bad_check_char", "blank_mandatory", "unknown_street_code"})
        if kind == "bad_check_char":
            check = (
                citizen_id_problem if item.format == FieldFormat.citizen_id else credit_code_problem
            )
            assert check(value) is not None and value[:17] == d["clean_value"][:17]
            assert check(d["clean_value"]) is None
        elif kind == "blank_mandatory":
            assert value is None and not item.nullable
        elif kind == "unknown_street_code":
            assert value not in vocab_streets and d["clean_value"] in vocab_streets
        elif kind == "mixed_date_format":
            assert item.type in (FieldType.date, FieldType.month)
            month = item.type == FieldType.month
            assert parse_date(value, month) == d["clean_value"]
            assert not re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", value)
        else:  # fullwidth_digits, stray_spaces: NFKC + trim gives the clean value back
            assert clean(value) == d["clean_value"]
            if kind == "fullwidth_digits":
                assert re.search("[０-９]", value)
            else:
                assert value != value.strip()


def check_clean_cells(register, files, defects, day: dt.date = DAY) -> Counter:
    """Every cell without a recorded defect is clean: valid IDs, no blanks where mandatory,
    known streets and vocab values, ISO dates, numbers in range, no cosmetic noise, unique
    keys. Returns the cells checked per resource."""
    recorded = defect_index(defects)
    checked: Counter = Counter()
    for rid, (_, _, rows) in files.items():
        res = register.resource(rid)
        seen_keys: dict[tuple, int] = {}
        for i, row in enumerate(rows, start=1):
            d = recorded[rid].get(i)
            key = tuple(row[j] for j, f in enumerate(res.fields) if f.key)
            if d and d["kind"] == "duplicate_row":
                continue
            for item, value in zip(res.fields, row, strict=True):
                if d and d["field"] == item.name:
                    continue
                checked[rid] += 1
                if value is None:
                    assert item.nullable, (rid, i, item.name)
                    continue
                assert value == clean(value), (rid, i, item.name, value)
                if item.format == FieldFormat.citizen_id:
                    assert citizen_id_problem(value, today=day) is None, (rid, i, value)
                elif item.format == FieldFormat.credit_code:
                    assert credit_code_problem(value) is None, (rid, i, value)
                elif item.format == FieldFormat.division_code:
                    assert value in division_codes(), (rid, i, value)
                allowed = register.allowed_values(item)
                if allowed:
                    assert value in allowed, (rid, i, item.name, value)
                if item.type == FieldType.date:
                    assert dt.date(1900, 1, 1) <= dt.date.fromisoformat(value) <= day
                elif item.type == FieldType.month:
                    assert re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value)
                elif item.type in (FieldType.integer, FieldType.decimal):
                    number = float(value)
                    assert item.min is None or number >= item.min, (rid, item.name, value)
                    assert item.max is None or number <= item.max, (rid, item.name, value)
            if not d or not d["fatal"]:
                key = tuple(clean(v) for v in key)
                assert key not in seen_keys, (rid, i, key, seen_keys.get(key))
                seen_keys[key] = i
    return checked


@pytest.mark.unit
def test_no_unrecorded_defect_anywhere(tiny, register) -> None:
    _, files, defects, _ = tiny
    checked = check_clean_cells(register, files, defects)
    assert set(checked) == set(register.resources)


@pytest.mark.unit
def test_defect_counts_follow_the_rate(tiny) -> None:
    result, _files, defects, _ = tiny
    per = Counter(d["resource"] for d in defects)
    dups = Counter(d["resource"] for d in defects if d["kind"] == "duplicate_row")
    for rid, n in result.rows.items():
        generated = n - dups[rid]
        assert per[rid] == int(0.02 * generated + 0.5), rid


# ---------------------------------------------------------------------------- domain
def _clean_rows(register, files, defects, rid) -> list[dict[str, str | None]]:
    """Rows of a resource as the gate would accept them: fatal rows dropped, noise removed."""
    recorded = defect_index(defects)[rid]
    out = []
    for i, r in enumerate(by_name(register, rid, files[rid][2]), start=1):
        d = recorded.get(i)
        if d and d["fatal"]:
            continue
        row = {k: clean(v) for k, v in r.items()}
        if d and d["kind"] == "mixed_date_format":
            row[d["field"]] = d["clean_value"]
        out.append(row)
    return out


def _restored_rows(register, files, defects, rid) -> list[dict[str, str | None]]:
    """Every generated row with its recorded defect undone (duplicate copies dropped)."""
    recorded = defect_index(defects)[rid]
    out = []
    for i, r in enumerate(by_name(register, rid, files[rid][2]), start=1):
        d = recorded.get(i)
        if d and d["kind"] == "duplicate_row":
            continue
        if d:
            r[d["field"]] = d["clean_value"]
        out.append(r)
    return out


@pytest.mark.unit
def test_persons_agree_with_their_ids_and_households(tiny, register) -> None:
    _, files, defects, _ = tiny
    persons = _clean_rows(register, files, defects, "registered_person")
    assert len(persons) > 0.95 * TINY.persons
    for p in persons:
        assert citizen_id_birth_date(p["citizen_id"]).isoformat() == p["birth_date"]
        assert citizen_id_sex(p["citizen_id"]) == p["sex"]
        if p["move_in_date"]:
            assert p["birth_date"] <= p["move_in_date"] <= DAY.isoformat()
    han = sum(p["ethnicity"] == "汉族" for p in persons) / len(persons)
    assert 0.92 <= han <= 0.98
    assert {p["registration_type"] for p in persons} == {"户籍", "常住", "流动"}
    members = defaultdict(set)
    for p in _restored_rows(register, files, defects, "registered_person"):
        members[p["household_id"]].add(p["citizen_id"])
    households = _restored_rows(register, files, defects, "household")
    assert len(households) == len(members)
    for h in households:
        assert h["head_citizen_id"] in members[h["household_id"]]
        assert len(members[h["household_id"]]) == int(h["member_count"])
    divisions = Counter(p["citizen_id"][:6] for p in persons)
    assert divisions.most_common(1)[0][0] == "110107"
    assert sum(v for k, v in divisions.items() if not k.startswith("11")) > 100  # migrants


@pytest.mark.unit
def test_departments_share_persons_and_entities(tiny, register) -> None:
    _, files, defects, _ = tiny
    rows = {rid: _clean_rows(register, files, defects, rid) for rid in files}
    persons = {p["citizen_id"]: p for p in rows["registered_person"]}
    ages = {
        k: (DAY - dt.date.fromisoformat(p["birth_date"])).days / 365.25 for k, p in persons.items()
    }
    market = {e["credit_code"]: e for e in rows["enterprise_registration"]}
    active = {k for k, e in market.items() if e["status"] in ("存续", "在业")}
    hrss = rows["social_insurance_enrolment"]
    assert all(ages[r["citizen_id"]] >= 16 for r in hrss if r["citizen_id"] in persons)
    employers = {r["employer_credit_code"] for r in hrss if r["employer_credit_code"]}
    assert employers and employers <= {e for e in market} | {None}
    assert len(employers & active) >= 0.9 * len(employers)
    elderly = rows["elderly_care_benefit"]
    assert elderly and all(
        ages[r["citizen_id"]] >= 80 for r in elderly if r["citizen_id"] in persons
    )
    share = len(rows["disability_benefit"]) / len(persons)
    assert 0.01 <= share <= 0.04
    assert 0.85 <= len(rows["tax_registration"]) / len(market) <= 0.95
    assert 0.6 <= len(rows["statistical_unit"]) / len(market) <= 0.8
    hotels = {h["hotel_code"] for h in rows["hotel"]}
    assert hotels and hotels <= set(market)
    owners = {p["owner_credit_code"] for p in rows["investment_project"]}
    assert owners <= set(market)
    for p in rows["investment_project"]:
        assert re.fullmatch(r"20\d\d-110107-\d\d-0[1-3]-\d{6}", p["project_code"]), p
    spots = {s["spot_name"] for s in rows["scenic_spot"]}
    assert {"八大处公园", "北京国际雕塑公园", "首钢园", "法海寺", "模式口历史文化街区"} <= spots
    industries = {e["industry_code"] for e in market.values() if e["industry_code"]}
    assert any(len(c) == 5 for c in industries) and any(len(c) == 3 for c in industries)
    assert all(c[:3] in register.vocab["industry_division"] for c in industries)


@pytest.mark.unit
def test_economic_indicators(tiny, register) -> None:
    _, files, defects, _ = tiny
    rows = _clean_rows(register, files, defects, "economic_indicator")
    kinds = defaultdict(set)
    values: dict[tuple[str, str], float] = {}
    for r in rows:
        kinds[r["indicator_code"]].add(r["period_type"])
        values[(r["indicator_code"], r["period"])] = float(r["value"])
        assert r["region_code"] == "110107"
        assert r["indicator_name"] == register.vocab["indicator"][r["indicator_code"]]
    for code in ("B01", "C01", "D01", "E01"):
        assert kinds[code] == {"月"}
    for code in ("A01", "A0101", "A0102", "A0103", "F01"):
        assert kinds[code] == {"季"}
    quarters = [p for c, p in values if c == "A01"]
    assert len(quarters) >= 10
    checked = 0
    for q in quarters:
        parts = [values.get((c, q)) for c in ("A0101", "A0102", "A0103")]
        if None not in parts:
            assert values[("A01", q)] == pytest.approx(sum(parts), abs=0.011)
            assert 150 < values[("A01", q)] < 400  # 亿元 a quarter
            checked += 1
    assert checked >= 8
    assert any(r["revision"] not in ("0", None) for r in rows)


# ---------------------------------------------------------------------------- disagreements
@pytest.mark.unit
def test_disagreements_are_exactly_the_recorded_ones(tiny, register) -> None:
    """Every value a non-authoritative department delivers equals the authority's, except the
    recorded disagreements, which are in the files as recorded."""
    _, files, defects, disagreements = tiny
    rows = {rid: _clean_rows(register, files, defects, rid) for rid in files}
    authorities = register.authorities()

    def key_field(rid: str) -> str:
        res = register.resource(rid)
        return next(
            f.name
            for f in res.fields
            if f.format in (FieldFormat.citizen_id, FieldFormat.credit_code)
        )

    found = set()
    compared = 0
    for rid, res in register.resources.items():
        for item in res.fields:
            if not item.base_attribute or item.authoritative:
                continue
            auth_rid, auth_item = authorities[item.base_attribute]
            auth = {r[key_field(auth_rid)]: r[auth_item.name] for r in rows[auth_rid]}
            for r in rows[rid]:
                k = r[key_field(rid)]
                if k in auth and r[item.name] is not None:
                    compared += 1
                    if r[item.name] != auth[k]:
                        found.add((item.base_attribute, k, rid, item.name, auth[k], r[item.name]))
    recorded = {tuple(d.values()) for d in disagreements}
    assert len(recorded) == len(disagreements), "each disagreement recorded once"
    assert found == recorded
    assert compared > 1000
    attrs = {d["base_attribute"] + "/" + d["resource"] for d in disagreements}
    assert {
        "legal_entity.industry/enterprise_registration",
        "legal_entity.name/tax_registration",
    } <= attrs


@pytest.mark.unit
def test_disagreement_rows_carry_no_defect(tiny, register) -> None:
    """Neither the disagreeing row nor the authority's row of that entity has a defect."""
    _, files, defects, disagreements = tiny
    authorities = register.authorities()
    involved = set()
    for x in disagreements:
        involved.add((x["resource"], x["entity_key"]))
        involved.add((authorities[x["base_attribute"]][0], x["entity_key"]))
    checked = 0
    for d in defects:
        res = register.resource(d["resource"])
        row = files[d["resource"]][2][d["source_row"] - 1]
        for item, value in zip(res.fields, row, strict=True):
            if item.format in (FieldFormat.citizen_id, FieldFormat.credit_code) and item.key:
                checked += 1
                assert (d["resource"], clean(value)) not in involved, d
                assert (d["resource"], d["clean_value"]) not in involved, d
    assert checked > 50


# ---------------------------------------------------------------------------- determinism
@pytest.mark.unit
def test_same_seed_same_bytes(tmp_path, register) -> None:
    from govlake.sample import generate

    a = generate(tmp_path / "a", scale="tiny", seed=3, batch_date=DAY, register=register)
    b = generate(tmp_path / "b", scale="tiny", seed=3, batch_date=DAY, register=register)
    c = generate(tmp_path / "c", scale="tiny", seed=4, batch_date=DAY, register=register)
    files_a = sorted(
        p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file()
    )
    files_b = sorted(
        p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file()
    )
    landing = len(register.resources)  # a file each, and the record: defects, disagreements, truth
    # each resource's file is marked complete as its department's exchange server does it
    markers = [p for p in files_a if p.name == "_SUCCESS" or p.suffix == ".ok"]
    assert len(markers) == landing
    assert files_a == files_b and len(a.files) == landing
    assert len(files_a) == landing + 3 + len(markers)
    for rel in files_a:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel
    assert a.rows == b.rows
    differs = [
        p
        for p in a.files
        if p.read_bytes() != (tmp_path / "c" / p.relative_to(tmp_path / "a")).read_bytes()
    ]
    assert len(differs) >= 2 * landing // 3 and c.files


# ---------------------------------------------------------------------------- streaming
@pytest.mark.unit
def test_streams_in_chunks(tmp_path, register, monkeypatch) -> None:
    from govlake.sample import generate
    from govlake.sample.people import PersonFactory

    sizes: list[int] = []
    original = PersonFactory.chunk

    def spy(self, n):
        sizes.append(n)
        return original(self, n)

    monkeypatch.setattr(PersonFactory, "chunk", spy)
    progress: dict[str, list[int]] = defaultdict(list)
    chunk = 300
    result = generate(
        tmp_path,
        scale="tiny",
        seed=5,
        batch_date=DAY,
        register=register,
        chunk_size=chunk,
        progress=lambda rid, n: progress[rid].append(n),
    )
    whole, rest = divmod(TINY.persons, chunk)
    assert sizes == [chunk] * whole + ([rest] if rest else [])
    assert len(progress["registered_person"]) == len(sizes) > 1
    assert progress["registered_person"] == sorted(progress["registered_person"])
    assert progress["registered_person"][-1] == result.rows["registered_person"]
    assert len(progress["enterprise_registration"]) == -(-TINY.entities // chunk)
    res = register.resource("registered_person")
    [path] = result.files_of("registered_person")
    _, rows = read_back(path, res)
    recorded = {
        d["source_row"]
        for d in pq.read_table(result.defects_path).to_pylist()
        if d["resource"] == "registered_person"
    }
    ids = [r[0] for i, r in enumerate(rows, start=1) if i not in recorded]
    assert len(ids) == len(set(ids)) >= 0.95 * TINY.persons, "IDs stay unique across chunks"
    assert all(citizen_id_problem(i, today=DAY) is None for i in ids)
    truth = json.loads(result.truth_path.read_text(encoding="utf-8"))
    assert truth["persons"] == TINY.persons and truth["chunk_size"] == chunk
    households = {r[5] for r in rows if r[5]}
    assert len(households) == truth["households"] or len(households) >= truth["households"] - 10


@pytest.mark.unit
def test_division_codes_are_real_and_match_birth_time() -> None:
    from govlake.sample.people import PersonFactory
    from govlake.sample.pools import get_pools

    factory = PersonFactory(9, DAY, get_pools(9))
    persons, _ = factory.chunk(40_000)
    ids = persons.cid.tolist()
    assert len(set(ids)) == len(ids)
    codes = {i[:6] for i in ids}
    assert codes <= division_codes()
    new = [i for i in ids if i[:6] in ("110118", "110119")]
    assert new, "post-2014 district codes (密云区/延庆区) appear"
    assert all(citizen_id_birth_date(i) >= dt.date(2015, 11, 13) for i in new)
    born = np.array([citizen_id_birth_date(i) for i in ids], dtype="datetime64[D]")
    assert (born == persons.born).all()


# ---------------------------------------------------------------------------- the injector
@pytest.mark.unit
def test_injector_one_defect_per_row_and_duplicates_after_originals(register) -> None:
    from govlake.sample.defects import inject
    from govlake.sample.rows import Rows

    res = register.resource("scenic_spot")
    n = 200
    cols = {
        "spot_code": [f"JQ{i:04d}" for i in range(n)],
        "spot_name": [f"公园{i}" for i in range(n)],
        "a_level": ["AAA"] * n,
        "max_capacity": [str(1000 + i) for i in range(n)],
        "street_code": ["110107001"] * n,
    }
    protected = np.zeros(n, dtype=bool)
    protected[:50] = True
    out, defects = inject(res, Rows(cols, protected), 60, np.random.default_rng(1))
    dups = [d for d in defects if d.kind == "duplicate_row"]
    assert len(defects) == 60 and dups
    assert len(out["spot_code"]) == n + len(dups)
    assert len({d.row for d in defects}) == 60
    assert all(d.origin >= 50 for d in defects), "protected rows are never touched"
    for d in dups:
        assert d.duplicate_of < d.row
        assert all(out[k][d.row] == out[k][d.duplicate_of] for k in out)
    for d in defects:
        if d.field:
            assert out[d.field][d.row] == d.delivered_value
    untouched = set(range(n + len(dups))) - {d.row for d in defects}
    spots = [out["spot_code"][r] for r in untouched]
    assert len(spots) == len(set(spots))
