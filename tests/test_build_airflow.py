"""Landing → warehouse through real Airflow (``dag.test()``, SQLite, in-process): a tiny sample
is ingested by every ``ingest__<resource>`` DAG, the ``build`` DAG runs dbt, and the warehouse's
base, conflicts and open models are checked against numbers computed independently from the
landing files and the generator's record (``_sample/<date>/``)."""

from __future__ import annotations

import csv
import datetime as dt

import duckdb
import pytest

pytestmark = pytest.mark.integration

DAY = dt.date(2026, 11, 2)
HMAC_KEY = "test-key-not-secret"
CREDIT_RESOURCES = ("enterprise_registration", "tax_registration", "statistical_unit")


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    """One lake for the module: generate, ingest every resource, build; keep the outcomes."""
    from govlake import airflow_local
    from govlake.register import load_register
    from govlake.sample import generate
    from govlake.settings import get_settings

    root = tmp_path_factory.mktemp("build_airflow") / "lake"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GOVLAKE_LAKE_ROOT", str(root))
        mp.setenv("GOVLAKE_HMAC_KEY", HMAC_KEY)
        get_settings.cache_clear()
        try:
            register = load_register()
            sample = generate(root, scale="tiny", seed=11, defect_rate=0.02, batch_date=DAY)
            airflow_local.migrate()
            bag = airflow_local.dagbag()
            ingest = {
                rid: airflow_local.run_dag(bag.dags[f"ingest__{rid}"])
                for rid in sorted(register.resources)
            }
            build = airflow_local.run_dag(bag.dags["build"])
            yield {
                "root": root,
                "sample": sample,
                "register": register,
                "ingest": ingest,
                "build": build,
                "settings": get_settings(),
            }
        finally:
            get_settings.cache_clear()


# --- independent readers ----------------------------------------------------------------------


def _key_column(scenario, rid: str) -> list[str | None]:
    """The key field of every delivered data row (index 0 = data row 1), read without govlake:
    csv with the register's encoding, xlsx with DuckDB's excel reader (text cells)."""
    resource = scenario["register"].resource(rid)
    [path] = scenario["sample"].files_of(rid)
    [key] = [f for f in resource.fields if f.key]
    label = key.label if resource.delivery.headers == "zh" else key.name
    if path.suffix == ".csv":
        with path.open(encoding=resource.delivery.encoding, newline="") as fh:
            return [row[label] for row in csv.DictReader(fh)]
    assert path.suffix == ".xlsx", path
    rows = duckdb.execute(
        f'select "{label}" from read_xlsx(?, header = true, all_varchar = true, '
        "stop_at_empty = false)",
        [str(path)],
    ).fetchall()
    return [r[0] for r in rows]


def _fatal_rows(scenario, rid: str) -> set[int]:
    """1-based data rows the generator recorded as fatal defects of ``rid``."""
    rows = duckdb.execute(
        "select source_row from read_parquet(?) where resource = ? and fatal",
        [str(scenario["sample"].defects_path), rid],
    ).fetchall()
    return {r[0] for r in rows}


def _accepted_valid_keys(scenario, rid: str, problem) -> set[str]:
    """Distinct normalised valid keys of the rows the gate accepts.

    The gate quarantines every row that fails an expectation: exactly the generator's fatal
    kinds (bad check character, blank mandatory field, unknown street code, and the *later*
    copy of a duplicated row: keep="first"); cosmetic defects (full-width digits, stray spaces,
    other date formats) pass once normalised. test_pipeline_airflow checks quarantined rows ==
    fatal rows per resource. So the accepted rows are the delivered rows minus the recorded
    fatal rows, and a person/entity whose only row is quarantined (e.g. a blank 姓名) is not in
    the base database even though its ID is valid.
    """
    from govlake.identifiers import normalise

    fatal = _fatal_rows(scenario, rid)
    keys = set()
    for n, value in enumerate(_key_column(scenario, rid), start=1):
        if n in fatal or value is None:
            continue
        key = normalise(value)
        if key and problem(key) is None:
            keys.add(key)
    return keys


def _pseudonym(value: str, key: bytes) -> str:
    import pyarrow as pa

    from govlake.ingest.pseudonym import hmac_hex, normalise_array

    return hmac_hex(normalise_array(pa.array([value], pa.string())), key)[0].as_py()


# --- the warehouse ----------------------------------------------------------------------------


def _warehouse(scenario):
    from govlake.transform.query import connect_analyst

    return connect_analyst(scenario["settings"])


def _restricted(scenario):
    """The builder's restricted database (conflict details live there, not with analysts)."""
    path = scenario["root"] / "_build" / "restricted.duckdb"
    return duckdb.connect(str(path), read_only=True)


# --- tests ------------------------------------------------------------------------------------


def test_every_dag_run_succeeds(scenario) -> None:
    states = {rid: (o.state, o.failed_tasks) for rid, o in scenario["ingest"].items()}
    assert states == {rid: ("success", []) for rid in scenario["register"].resources}
    build = scenario["build"]
    assert (build.state, build.failed_tasks) == ("success", [])
    assert scenario["settings"].warehouse.exists()


def test_base_person_is_every_valid_accepted_citizen(scenario) -> None:
    from govlake.identifiers import citizen_id_problem

    expected = _accepted_valid_keys(scenario, "registered_person", citizen_id_problem)
    key = scenario["settings"].pseudonym_key()
    con = _warehouse(scenario)
    try:
        [(rows, distinct)] = con.execute(
            "select count(*), count(distinct person_key) from base.base_person"
        ).fetchall()
        keys = {r[0] for r in con.execute("select person_key from base.base_person").fetchall()}
    finally:
        con.close()
    assert len(expected) > 1900  # 2001 delivered rows at tiny scale, a few fatal
    assert rows == distinct == len(expected)
    assert keys == {_pseudonym(v, key) for v in expected}


def test_base_legal_entity_is_every_valid_accepted_credit_code(scenario) -> None:
    from govlake.identifiers import credit_code_problem

    expected: set[str] = set()
    for rid in CREDIT_RESOURCES:
        expected |= _accepted_valid_keys(scenario, rid, credit_code_problem)
    con = _warehouse(scenario)
    try:
        sql = "select credit_code from base.base_legal_entity"
        codes = [r[0] for r in con.execute(sql).fetchall()]
    finally:
        con.close()
    assert len(codes) == len(set(codes)) == len(expected)
    assert set(codes) == expected


def test_conflicts_are_exactly_the_recorded_disagreements(scenario) -> None:
    key = scenario["settings"].pseudonym_key()
    recorded = duckdb.execute(
        "select base_attribute, entity_key, resource, field, authoritative_value, "
        "delivered_value from read_parquet(?)",
        [str(scenario["sample"].disagreements_path)],
    ).fetchall()
    expected = {
        (a, _pseudonym(k, key) if a.startswith("person.") else k, r, f, auth, v)
        for a, k, r, f, auth, v in recorded
    }
    con = _restricted(scenario)
    try:
        found = con.execute(
            "select base_attribute, entity_key, other_resource, other_field, "
            "authoritative_value, other_value from conflicts.conflicts"
        ).fetchall()
    finally:
        con.close()
    assert len(recorded) == scenario["sample"].disagreements > 0
    assert len(found) == len(set(found))
    assert set(found) == expected

    # the analysts' counts agree with the detail, per attribute and resource
    per_pair: dict[tuple[str, str], int] = {}
    for a, _k, r, *_ in recorded:
        per_pair[(a, r)] = per_pair.get((a, r), 0) + 1
    wh = _warehouse(scenario)
    try:
        counts = wh.execute(
            "select base_attribute, other_resource, conflicts from conflicts.conflict_counts"
        ).fetchall()
    finally:
        wh.close()
    assert {(a, r): n for a, r, n in counts if n} == per_pair


def test_open_population_has_no_visible_small_cell(scenario) -> None:
    con = _warehouse(scenario)
    try:
        cells = con.execute(
            "select street_code, sex, age_band, population, is_suppressed "
            "from open.open_population_by_street_sex_age"
        ).fetchall()
        persons = con.execute("select count(*) from base.base_person").fetchone()[0]
    finally:
        con.close()
    assert cells
    visible_small = [c for c in cells if not c[4] and (c[3] is None or c[3] < 10)]
    assert visible_small == []
    assert [c for c in cells if c[4] and c[3] is not None] == []  # suppressed ⇒ null
    assert any(c[4] for c in cells)  # tiny scale has small cells: suppression did something
    # the district total is published and counts every person of the base database
    [district] = [c for c in cells if c[:3] == ("110107", "合计", "合计")]
    assert district[3] == persons
