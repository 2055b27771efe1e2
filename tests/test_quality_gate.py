"""The gate on hand-made raw batches: suites, exact reasons, threshold, results, idempotency."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from govlake.identifiers import make_citizen_id
from govlake.lake import Lake, read_accepted

pytestmark = pytest.mark.integration

DAY = "2024-06-01"
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def person(i: int, **changes: str | None) -> dict:
    born = dt.date(1950, 1, 1) + dt.timedelta(days=97 * i)
    male = i % 2 == 0
    row = {
        "citizen_id": make_citizen_id("110107", born, i, male),
        "person_name": f"测试{i}",
        "sex": "男" if male else "女",
        "birth_date": born.isoformat(),
        "ethnicity": "汉族",
        "household_id": f"H{i:05d}",
        "street_code": "110107001",
        "registration_type": "户籍",
        "move_in_date": None,
        "operation": "新增",
    }
    row.update(changes)
    return row


def write_batch(lake: Lake, register, resource_id: str, batch_id: str, rows: list[dict],
                batch_date: str = DAY) -> Path:  # fmt: skip
    """A raw part exactly as ingest writes it, and its manifest entry (status ingested)."""
    from govlake.ingest.manifest import write_entry
    from govlake.ingest.raw import raw_schema

    res = register.resource(resource_id)
    schema = raw_schema(res)
    n = len(rows)
    cols: dict[str, pa.Array] = {}
    for f in schema:
        if f.name == "_batch_id":
            cols[f.name] = pa.array([batch_id] * n, f.type)
        elif f.name == "_source_file":
            cols[f.name] = pa.array([f"{batch_id}.csv"] * n, f.type)
        elif f.name == "_source_row":
            cols[f.name] = pa.array(range(1, n + 1), f.type)
        elif f.name == "_ingested_at":
            cols[f.name] = pa.array([dt.datetime(2024, 6, 1, tzinfo=dt.UTC)] * n, f.type)
        elif f.name.endswith("_key"):
            cols[f.name] = pa.array([f"key{i}" for i in range(n)], f.type)
        else:
            cols[f.name] = pa.array([r.get(f.name) for r in rows], f.type)
    target = lake.raw_partition(resource_id, batch_date) / f"part-{batch_id}.parquet"
    target.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(cols, schema=schema), target)
    write_entry(lake, {
        "resource": resource_id, "department": res.department,
        "path": f"{res.department}/{resource_id}/{batch_date}/{batch_id}.csv",
        "sha256": batch_id * 4, "batch_id": batch_id, "batch_date": batch_date,
        "status": "ingested", "rows": n, "raw_path": target.relative_to(lake.root).as_posix(),
        "ingested_at": f"{batch_date}T00:00:00+00:00",
    })  # fmt: skip
    return target


def manifest_status(lake: Lake, resource_id: str, batch_id: str) -> dict:
    from govlake.ingest import read_manifest

    (entry,) = [e for e in read_manifest(resource_id, lake=lake) if e["batch_id"] == batch_id]
    return entry


# --- suites -----------------------------------------------------------------------------------


def test_suites_for_every_resource(register) -> None:
    from govlake.quality.suites import build_suite, expectation_name

    assert register.resources  # every one of them, however many the register holds
    for rid, res in register.resources.items():
        suite = build_suite(rid, register, dt.date(2024, 6, 1))
        names = {expectation_name(e) for e in suite.expectations}
        assert len(names) == len(suite.expectations), rid
        keys = [f.name for f in res.key_fields]
        key_kind = "first_occurrence" if len(keys) == 1 else "key_to_be_first_occurrence"
        assert any(key_kind in n and ",".join(keys) in n for n in names), rid
        for f in res.fields:
            col = f"({f.name})"
            if not f.nullable:
                assert f"expect_column_values_to_not_be_null{col}" in names, (rid, f.name)
            fmt = f.format.value if f.format else None
            if fmt == "citizen_id":
                assert f"expect_column_values_to_be_valid_citizen_id{col}" in names
            if fmt == "credit_code":
                assert f"expect_column_values_to_be_valid_credit_code{col}" in names
            if fmt == "street_code":
                assert f"expect_column_values_to_be_district_street_code{col}" in names
                assert f"expect_column_values_to_be_allowed{col}" not in names  # reported once
            elif f.allowed:
                (exp,) = [e for e in suite.expectations if expectation_name(e) ==
                          f"expect_column_values_to_be_allowed{col}"]  # fmt: skip
                assert list(exp.value_set) == register.allowed_values(f)
            if f.type.value == "date":
                assert f"expect_column_values_to_be_plausible_date{col}" in names
            if f.min is not None or f.max is not None:
                assert f"expect_column_values_to_be_number_between{col}" in names
    suite = build_suite("registered_person", register, dt.date(2024, 6, 1))
    extra = {expectation_name(e) for e in suite.expectations if
             e.meta["govlake"]["source"].startswith("quality/expectations/")}  # fmt: skip
    assert extra == {
        "expect_column_pair_sex_to_match_citizen_id(citizen_id,sex)",
        "expect_column_pair_birth_date_to_match_citizen_id(citizen_id,birth_date)",
    }
    project = build_suite("investment_project", register, dt.date(2024, 6, 1))
    (start,) = [e for e in project.expectations
                if expectation_name(e).endswith("plausible_date(start_date)")]  # fmt: skip
    assert start.max_date == "2034-06-02"  # 3,653 days


# --- the gate ---------------------------------------------------------------------------------


@pytest.mark.parametrize("threaded", [False, True], ids=["small", "large"])
def test_gate_quarantines_exactly_the_bad_rows_with_reasons(
    lake_root: Path, register, monkeypatch, threaded: bool
) -> None:
    """Both ways a batch is read and normalised: in one go (small batches) and in threads
    (from ``frame.SMALL`` rows on; the threshold is lowered here to take that path)."""
    from govlake.quality import validate_batch

    if threaded:
        monkeypatch.setattr("govlake.quality.frame.SMALL", 0)

    lake = Lake(lake_root)
    rows = [person(i) for i in range(100)]
    good_id = rows[10]["citizen_id"]
    bad_id = good_id[:-1] + ("0" if good_id[-1] != "0" else "1")
    # cosmetic noise: must pass
    rows[1]["citizen_id"] = rows[1]["citizen_id"].translate(FULLWIDTH)
    rows[2]["street_code"] = "\u3000110107002 "
    rows[3]["birth_date"] = dt.date.fromisoformat(rows[3]["birth_date"]).strftime("%Y年%m月%d日")
    rows[4]["person_name"] = f" {rows[4]['person_name']}\u3000"
    # fatal defects: one per row, plus one row with two
    rows[10]["citizen_id"] = bad_id
    rows[20]["person_name"] = "  "
    rows[30]["street_code"] = "110107099"
    rows.append(dict(rows[40]))  # row 101: a duplicate of row 41
    rows[50].update(ethnicity="火星族", move_in_date="2099-01-01")
    write_batch(lake, register, "registered_person", "b1", rows)

    result = validate_batch("registered_person", "b1", lake=lake, register=register)

    assert not result.held
    assert result.delivered == 101
    assert (result.accepted, result.quarantined) == (96, 5)
    accepted = read_accepted(lake, "registered_person")
    quarantine = pq.read_table(result.quarantine_path)
    assert accepted.num_rows + quarantine.num_rows == 101
    passed = set(accepted["_source_row"].to_pylist())
    assert passed.isdisjoint(quarantine["_source_row"].to_pylist())
    # the accepted part is the raw part itself (no copy) minus a deletion vector of exactly
    # the quarantined rows; its rows are untouched raw text: the cleaning is staging's job
    raw_part = lake.raw_partition("registered_person", DAY) / "part-b1.parquet"
    assert Path(result.accepted_path).samefile(raw_part)
    deletes = pq.read_table(lake.accepted_deletes("registered_person") / f"batch_date={DAY}"
                            / "part-b1.parquet")  # fmt: skip
    assert deletes.column_names == ["_batch_id", "_source_row"]
    assert sorted(deletes["_source_row"].to_pylist()) == [11, 21, 31, 51, 101]
    assert set(deletes["_batch_id"].to_pylist()) == {"b1"}
    assert accepted.column_names == pq.read_schema(raw_part).names
    # the quarantine keeps the raw columns' types (the gate reads some as Parquet dictionaries)
    raw_schema = pq.read_schema(raw_part).remove_metadata()
    reasons = [pa.field("_expectation", pa.string()), pa.field("_reason", pa.string())]
    assert quarantine.schema.remove_metadata() == pa.schema([*raw_schema, *reasons])
    assert accepted.slice(1, 1)["citizen_id"][0].as_py() == rows[1]["citizen_id"]
    by_row = {r["_source_row"]: r for r in quarantine.to_pylist()}
    expected_check = good_id[-1]
    assert {k: (v["_expectation"], v["_reason"]) for k, v in by_row.items()} == {
        11: ("expect_column_values_to_be_valid_citizen_id(citizen_id)",
             f"公民身份号码 check character {bad_id[-1]}, expected {expected_check}"),
        21: ("expect_column_values_to_not_be_null(person_name)", "姓名 is blank (mandatory)"),
        31: ("expect_column_values_to_be_district_street_code(street_code)",
             "街道代码 110107099 is not a sub-district (街道) code of the district"),
        51: ("expect_column_values_to_be_allowed(ethnicity); "
             "expect_column_values_to_be_plausible_date(move_in_date)",
             "民族 '火星族' is not in vocabulary ethnicity; "
             "迁入日期 2099-01-01 outside the plausible range 1900-01-01 to 2024-06-01"),
        101: ("expect_column_values_to_be_first_occurrence(citizen_id)",
              "duplicate 公民身份号码: same key as row 41"),
    }  # fmt: skip
    assert by_row[21]["person_name"] == "  "  # raw value kept as delivered
    entry = manifest_status(lake, "registered_person", "b1")
    assert entry["status"] == "accepted"
    assert (entry["accepted_rows"], entry["quarantined_rows"]) == (96, 5)


def test_gate_reuses_ingests_record_of_invalid_ids(lake_root: Path, register, monkeypatch) -> None:
    """Ingest records in the raw part's footer which IDs failed the citizen-ID rule; the gate
    uses that record instead of running the rule again, unless it was made for another day or
    by other rule code. Shown with a record that (falsely) names a valid ID."""
    import numpy as np

    from govlake.ingest import idcheck
    from govlake.quality import validate_batch

    lake = Lake(lake_root)
    path = write_batch(lake, register, "registered_person", "r1", [person(i) for i in range(20)])
    table = pq.read_table(path)
    claim = np.zeros(20, dtype=bool)
    claim[7] = True

    def record(day: str) -> dict[bytes, bytes]:
        return idcheck.invalid_rows_record({"citizen_id": claim}, as_of=dt.date.fromisoformat(day))

    def gate_with(footer: dict[bytes, bytes]) -> set[tuple[int, str]]:
        pq.write_table(table.replace_schema_metadata(footer), path)
        result = validate_batch("registered_person", "r1", lake=lake, register=register)
        if not result.quarantined:
            return set()
        q = pq.read_table(result.quarantine_path)
        return set(zip(q["_source_row"].to_pylist(), q["_expectation"].to_pylist(), strict=True))

    current = record(DAY)
    assert gate_with(current) == {(8, "expect_column_values_to_be_valid_citizen_id(citizen_id)")}
    assert gate_with(record("2024-06-02")) == set()  # made for another day: the gate computes
    monkeypatch.setattr(idcheck, "rules_fingerprint", lambda: "the rules changed since")
    assert gate_with(current) == set()


def test_held_batch_does_not_block_the_next(lake_root: Path, register) -> None:
    from govlake.pipeline import gate_step

    lake = Lake(lake_root)
    bad = [person(i) for i in range(20)]
    for i in range(0, 20, 5):  # 4 of 20 = 20% > 5%
        bad[i]["street_code"] = "110107012"
    bad[7]["sex"] = None
    write_batch(lake, register, "registered_person", "held1", bad)
    write_batch(lake, register, "registered_person", "good2", [person(i) for i in range(20)],
                batch_date="2024-06-02")  # fmt: skip

    summary = gate_step("registered_person")

    assert summary["batches"] == ["good2"]
    (problem,) = summary["problems"]
    assert problem.startswith("HELD registered_person batch held1 (2024-06-01): 5 of 20 rows")
    assert "expect_column_values_to_be_district_street_code(street_code): 4" in problem
    assert "expect_column_values_to_not_be_null(sex): 1" in problem
    assert not list(lake.accepted("registered_person").rglob("batch_date=2024-06-01/*.parquet"))
    held_q = lake.quarantine("registered_person") / "batch_date=2024-06-01" / "part-held1.parquet"
    assert pq.read_table(held_q).num_rows == 5  # the reasons are kept for the department
    assert manifest_status(lake, "registered_person", "held1")["status"] == "held"
    assert manifest_status(lake, "registered_person", "good2")["status"] == "accepted"
    assert read_accepted(lake, "registered_person").num_rows == 20  # all of good2, none of held1
    assert gate_step("registered_person")["batches"] == []  # a held batch is not retried


def test_results_table_and_idempotent_rerun(lake_root: Path, register) -> None:
    from govlake.duck import connect
    from govlake.quality import quality_scores, register_view, summarise, validate_batch

    lake = Lake(lake_root)
    rows = [person(i) for i in range(50)]
    rows[3]["citizen_id"] = None
    rows[4]["sex"] = "女" if rows[4]["sex"] == "男" else "男"
    write_batch(lake, register, "registered_person", "r1", rows)

    first = validate_batch("registered_person", "r1", lake=lake, register=register)
    accepted_1 = read_accepted(lake, "registered_person")
    quarantine_1 = pq.read_table(first.quarantine_path)
    second = validate_batch("registered_person", "r1", lake=lake, register=register)

    assert read_accepted(lake, "registered_person").equals(accepted_1)
    assert accepted_1.num_rows == 48
    assert pq.read_table(second.quarantine_path).equals(quarantine_1)
    assert (second.accepted, second.quarantined) == (first.accepted, first.quarantined) == (48, 2)
    # one part and one deletion vector, however often the batch is gated
    assert len(list(lake.accepted("registered_person").rglob("*.parquet"))) == 2

    con = connect()
    register_view(con, lake)
    runs = con.sql("select count(distinct run_id) from quality_results").fetchone()[0]
    assert runs == 2
    latest = con.sql(
        "select expectation, evaluated, failed, success from quality_results_latest "
        "where failed > 0 order by expectation"
    ).fetchall()
    assert latest == [
        ("expect_column_pair_sex_to_match_citizen_id(citizen_id,sex)", 49, 1, False),
        ("expect_column_values_to_not_be_null(citizen_id)", 50, 1, False),
    ]
    row = con.sql(
        "select resource, batch_id, batch_date, column_name, evaluated, failed, success, "
        "duration_s, rows_delivered, rows_quarantined, held from quality_results_latest "
        "where expectation = 'expect_column_values_to_be_valid_citizen_id(citizen_id)'"
    ).fetchone()
    assert row[:7] == ("registered_person", "r1", dt.date(2024, 6, 1), "citizen_id", 49, 0, True)
    assert row[7] > 0 and row[8:] == (50, 2, False)
    assert quality_scores(lake) == {"registered_person": 96.0}
    (summary,) = summarise(lake=lake)
    assert (summary["status"], summary["quarantined"]) == ("accepted", "2")
    assert summary["score"] == "96.0"


def test_quality_score_uses_latest_batches(lake_root: Path, register) -> None:
    from govlake.quality import SCORE_BATCHES, quality_scores, validate_batch

    lake = Lake(lake_root)
    for day in range(1, SCORE_BATCHES + 2):
        rows = [person(i) for i in range(10)]
        if day == 1:  # the oldest batch is outside the window: its failures no longer count
            rows[0]["street_code"] = "110107099"
        if day == SCORE_BATCHES + 1:
            rows[0]["sex"] = None
        write_batch(lake, register, "registered_person", f"d{day}", rows, f"2024-06-{day:02d}")
        validate_batch("registered_person", f"d{day}", lake=lake, register=register)
    assert quality_scores(lake) == {"registered_person": 98.0}  # 1 bad row of 50


def test_revalidate_builds_data_docs(lake_root: Path, register) -> None:
    from govlake.quality import revalidate

    lake = Lake(lake_root)
    write_batch(lake, register, "registered_person", "v1", [person(i) for i in range(5)])
    rows = [person(i) for i in range(5)]
    rows[0]["street_code"] = "110107099"
    write_batch(lake, register, "registered_person", "v2", rows, batch_date="2024-06-02")

    results = revalidate("registered_person", lake=lake, register=register)

    assert [r.batch_id for r in results] == ["v2"]  # the latest batch only
    assert results[0].held  # 1 of 5 > 5%
    index = lake.root / "quality_docs" / "index.html"
    assert index.exists()
    pages = list((lake.root / "quality_docs" / "validations").rglob("*.html"))
    assert len(pages) == 1
    assert "expect_column_values_to_be_district_street_code" in pages[0].read_text()
    assert (lake.root / "quality_docs" / "expectations" / "registered_person.html").exists()


def test_unknown_batch_is_a_clear_error(lake_root: Path, register) -> None:
    from govlake.quality import GateError, validate_batch

    with pytest.raises(GateError, match="registered_person: no raw batch nope"):
        validate_batch("registered_person", "nope", lake=Lake(lake_root), register=register)


# --- the speed-ups change nothing -------------------------------------------------------------


def test_categorical_frame_and_memoised_gx_give_the_same_verdicts(register) -> None:
    """The gate's checked frame judges low-cardinality columns once per distinct value (pandas
    Categoricals) and memoises GX's expectation configurations; on the same rows, plain Arrow
    strings with stock GX must fail exactly the same rows with the same GX results."""
    import great_expectations as gx

    from govlake.quality.frame import checked_frame
    from govlake.quality.gx_runner import _batch_definition, run_suite
    from govlake.quality.suites import suite_expectations

    rows = [person(i) for i in range(250)]
    rows += [person(3), person(261, sex="男"), person(262, birth_date="1900-13-01")]  # 250-252
    rows += [person(264, sex=" 男\u3000"), person(265, street_code="１１０１０７００１")]  # fine
    rows += [person(266, ethnicity="火星族"), person(267, citizen_id="110107" + "1" * 12)]
    rows += [person(268, registration_type=None), person(269, citizen_id=None)]  # 257, 258
    fields = [f.name for f in register.resource("registered_person").fields]
    raw = pa.table({c: pa.array([r[c] for r in rows], pa.string()) for c in fields})
    frame = checked_frame(raw, register.resource("registered_person"))
    encoded = [c for c in fields if str(frame[c].dtype) == "category"]
    assert {"sex", "ethnicity", "street_code", "registration_type"} <= set(encoded)
    plain = frame.astype({c: "str" for c in encoded})
    assert plain["sex"].isna().sum() == frame["sex"].isna().sum()

    def exps() -> list:
        return suite_expectations("registered_person", register, dt.date.fromisoformat(DAY))

    fast = run_suite(frame, exps(), "fast", normalised=True)
    slow = run_suite(plain, exps(), "slow", normalised=True)
    assert fast.failing == slow.failing
    assert fast.rows == slow.rows
    objects = run_suite(plain.astype({c: object for c in fields}), exps(), "objects",
                        normalised=True)  # fmt: skip
    assert objects.failing == slow.failing
    assert {i for ix in fast.failing.values() for i in ix} == {250, 251, 252, 255, 256, 257, 258}

    # stock GX (no memoised configurations) on the same frame: identical results
    from govlake.quality.checks import already_normalised

    batch = _batch_definition().get_batch(batch_parameters={"dataframe": plain})

    with already_normalised():
        stock = batch.validate(gx.ExpectationSuite(name="stock", expectations=exps()),
                               result_format={"result_format": "COMPLETE"})  # fmt: skip
    got = {r.expectation_config.type + str(r.expectation_config.kwargs.get("column")):
           (r.success, r.result.get("unexpected_index_list")) for r in stock.results}  # fmt: skip
    want = {r["expectation"]: r["failed"] for r in slow.rows}
    assert sum(len(ix or []) for _, ix in got.values()) == sum(want.values())
    assert sorted(i for _, ix in got.values() for i in ix or []) == sorted(
        i for ix in slow.failing.values() for i in ix
    )
    # the stored result (Data Docs) is GX's own serialisation of the trimmed result, and the
    # patched GX (memoised configurations, fast ids, metrics expanded once) reports exactly
    # what stock GX does, expectation by expectation
    from govlake.quality.gx_runner import stored_result

    assert stored_result(stock) == stock.to_json_dict()

    def results(stored: dict) -> list[dict]:  # run_suite adds its own name to the meta only
        for r in stored["results"]:
            r["expectation_config"]["meta"]["govlake"].pop("name", None)
        return stored["results"]

    assert results(slow.gx_result) == results(stored_result(stock))


def test_columns_no_rule_reads_are_only_checked_for_blanks(register) -> None:
    """A column only the not-null rule looks at is not normalised (``checked_frame(read=)``):
    what counts as blank must be exactly what normalising would leave empty, for text and
    code columns alike (U+3000, NBSP, control separators; a zero-width space is not blank)."""
    from govlake.quality.checks import PRESENT, blank_to_null, normalise_code, normalise_text
    from govlake.quality.frame import checked_frame, content_columns
    from govlake.quality.suites import suite_expectations

    values = ["", " ", "\u3000", "\t\n", "\u00a0", "\u2003", "\u200b", "\ufeff", " a ", None,
              "\u3000\u3000x", "\x1c", "\x0b", "\u2028", "\u0085", "\u2060", "Ｘ"]  # fmt: skip
    arr = pa.array(values, pa.string())
    blank = blank_to_null(arr).is_null().to_pylist()
    assert blank == normalise_text(arr).is_null().to_pylist()
    assert blank == normalise_code(arr).is_null().to_pylist()
    assert sum(blank) == 11

    res = register.resource("household")
    read = content_columns(suite_expectations("household", register, dt.date(2024, 6, 1)))
    assert "address" not in read and {"head_citizen_id", "street_code"} <= read
    address = [" 北京市\u3000石景山区 ", "\u3000"]
    raw = pa.table({f.name: pa.array(address if f.name == "address" else ["x", "y"], pa.string())
                    for f in res.fields})  # fmt: skip
    frame = checked_frame(raw, res, read=read)
    assert frame["address"].isna().tolist() == [False, True]  # only presence, not the text
    assert list(frame["address"].cat.categories) == [PRESENT]


def test_a_forked_task_gets_its_own_thread_pool() -> None:
    """Airflow runs a task in a forked child; threads are not inherited across fork, so a pool
    made in the parent would never run the child's work (the gate would hang)."""
    import os

    from govlake.quality.frame import thread_pool

    parent = thread_pool()
    assert parent.submit(lambda: 1).result(timeout=5) == 1
    pid = os.fork()
    if pid == 0:  # the child: exit 0 only if the pool it gets runs work
        try:
            child = thread_pool()
            ok = child is not parent and child.submit(lambda: 2).result(timeout=5) == 2
        except BaseException:
            ok = False
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
