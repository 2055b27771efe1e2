"""dbt on DuckDB end to end on a tiny accepted zone: build passes with all tests, base databases
count what the departments delivered, conflicts equal the injected disagreements, suppression
holds, nothing personal reaches an open model, the warehouse swap is atomic, builds are
incremental."""

from __future__ import annotations

import datetime as dt
import glob
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from accepted_batches import STREETS, generate, pseudonym

from govlake.identifiers import citizen_id_problem, credit_code_problem, normalise
from govlake.register import load_register
from govlake.transform import sources
from govlake.transform.suppression import TOTAL, equations, recoverable

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[1]
KEY = b"test-key-not-secret"
DAY1 = dt.date(2026, 11, 2)


_TRACKED_BEFORE: dict[str, tuple[int, int]] = {}


def _tracked() -> dict[str, tuple[int, int]]:
    """(mtime, size) of every file of the hand-written dbt project and of the register."""
    out = {}
    for top in (ROOT / "dbt_project", ROOT / "catalog"):
        for path in top.rglob("*"):
            rel = path.relative_to(ROOT)
            if path.is_file() and not {"target", "logs"} & set(rel.parts):
                st = path.stat()
                out[rel.as_posix()] = (st.st_mtime_ns, st.st_size)
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One tiny lake built once for the module (a dbt build is ~10 s)."""
    from govlake.settings import get_settings
    from govlake.transform import build

    _TRACKED_BEFORE.update(_tracked())

    root = tmp_path_factory.mktemp("dbt") / "lake"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GOVLAKE_LAKE_ROOT", str(root))
        mp.setenv("GOVLAKE_HMAC_KEY", KEY.decode())
        get_settings.cache_clear()
        register = load_register(ROOT / "catalog")
        generate(root, register, scale="tiny", batch_date=DAY1, key=KEY)
        result = build()
        yield root, result, register
    get_settings.cache_clear()


def _accepted(root: Path, resource: str) -> list[dict]:
    files = sorted(glob.glob(str(root / "accepted" / resource / "*" / "*.parquet")))
    return [row for f in files for row in pq.read_table(f).to_pylist()]


def _wh(root: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(root / "warehouse.duckdb"), read_only=True)


def _restricted(root: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(root / "_build" / "restricted.duckdb"), read_only=True)


def test_dbt_build_passes_with_all_tests(built):
    _, result, _ = built
    assert result.success, result.message
    assert result.full_refresh
    assert not result.failures
    assert result.nodes.get("pass", 0) >= 50  # data tests ran
    assert set(result.nodes) <= {"success", "pass"}, result.nodes


def test_base_person_counts_distinct_valid_police_ids(built):
    root, _, _ = built
    ids = {normalise(r["citizen_id"]) for r in _accepted(root, "registered_person")}
    valid = {i for i in ids if citizen_id_problem(i) is None}
    assert len(valid) < len(ids)  # the fixture carries invalid IDs that must not count
    with _wh(root) as con:
        (n,) = con.execute("select count(*) from base.base_person").fetchone()
        keys = {k for (k,) in con.execute("select person_key from base.base_person").fetchall()}
    assert n == len(valid)
    assert keys == {pseudonym(i, KEY) for i in valid}


def test_legal_entities_are_distinct_valid_codes_across_three_departments(built):
    root, _, _ = built
    codes = set()
    for rid in ("enterprise_registration", "tax_registration", "statistical_unit"):
        codes |= {normalise(r["credit_code"]) for r in _accepted(root, rid) if r["credit_code"]}
    valid = {c for c in codes if credit_code_problem(c) is None}
    with _wh(root) as con:
        got = {
            c for (c,) in con.execute("select credit_code from base.base_legal_entity").fetchall()
        }
    assert got == valid and len(valid) > 100


def test_conflicts_are_exactly_the_injected_disagreements(built):
    root, _, _ = built
    injected = pq.read_table(root / "_sample" / str(DAY1) / "disagreements.parquet").to_pylist()
    assert injected
    expected = set()
    for d in injected:
        key = d["entity_key"]
        key = pseudonym(key, KEY) if d["base_attribute"].startswith("person.") else normalise(key)
        expected.add((d["base_attribute"], key, d["resource"], d["field"]))
    with _restricted(root) as con:
        rows = con.execute(
            "select base_attribute, entity_key, other_resource, other_field, authoritative_value,"
            " other_value from conflicts.conflicts"
        ).fetchall()
    assert {r[:4] for r in rows} == expected
    values = {(d["base_attribute"], d["resource"], d["authoritative_value"], d["delivered_value"])
              for d in injected}  # fmt: skip
    assert {(r[0], r[2], r[4], r[5]) for r in rows} == values
    with _wh(root) as con:
        counts = dict(
            con.execute(
                "select base_attribute || '/' || other_resource, conflicts "
                "from conflicts.conflict_counts"
            ).fetchall()
        )
    per_pair: dict[str, int] = {}
    for attr, _, res, _ in expected:
        per_pair[f"{attr}/{res}"] = per_pair.get(f"{attr}/{res}", 0) + 1
    assert {k: v for k, v in counts.items() if v} == per_pair


def test_base_attributes_come_from_their_authoritative_department(built):
    """Every base column tagged with a base_attribute equals the authority's current value."""
    root, _, register = built
    import yaml

    spec = yaml.safe_load((ROOT / "dbt_project/models/base/_base__models.yml").read_text())
    auth = register.authorities()
    checked = 0
    with _restricted(root) as con:
        con.execute(f"attach '{root / 'warehouse.duckdb'}' as wh (read_only)")
        for model in spec["models"]:
            key = {"person": "person_key", "legal_entity": "credit_code"}.get(
                model.get("meta", {}).get("entity")
            )
            for col in model["columns"]:
                attr = col.get("meta", {}).get("base_attribute")
                if not attr or key is None:
                    continue
                rid, field = auth[attr]
                res = register.resource(rid)
                src_key = sources.entity_key(res)[1]
                mismatches = con.execute(
                    f"select count(*) from wh.base.{model['name']} b "
                    f"join intermediate.{sources.current_model(res)} a on a.{src_key} = b.{key} "
                    f"where a.{field.name} is not null and a.{field.name} <> b.{col['name']}"
                ).fetchone()[0]
                assert mismatches == 0, (model["name"], col["name"], attr)
                checked += 1
    assert checked >= 12


def test_population_suppression_holds(built):
    root, _, _ = built
    with _wh(root) as con:
        rows = con.execute(
            "select street_code, sex, age_band, population, is_suppressed "
            "from open.open_population_by_street_sex_age"
        ).fetchall()
    assert rows
    visible = [r for r in rows if not r[4]]
    assert all(r[3] is not None and r[3] >= 10 for r in visible)
    assert all(r[3] is None for r in rows if r[4])
    streets = sorted({r[0] for r in rows} - {"110107"})
    dims = [[*streets], ["男", "女"], sorted({r[2] for r in rows} - {TOTAL})]
    cell = {(("110107" if False else r[0]) if r[0] != "110107" else TOTAL, r[1], r[2]): r
            for r in rows}  # fmt: skip
    hidden = {k for k, r in cell.items() if r[4]}
    assert hidden and len(hidden) < len(cell)
    eqs = equations(dims)
    # no equation (a published total and its cells) hides exactly one cell ...
    for total, members in eqs:
        assert sum(c in hidden for c in (total, *members)) != 1
    # ... and no hidden cell is determined by all the published totals together
    assert recoverable(hidden, eqs) == set()
    # published totals add up (the table is internally consistent where visible)
    for total, members in eqs:
        if all(c not in hidden for c in (total, *members)):
            assert cell[total][3] == sum(cell[m][3] for m in members)


def test_no_personal_field_reaches_an_open_model(built):
    """Derived from the register: no personal/secret field name, pseudonym or value in open
    models or in the analysts' per-resource tables."""
    root, _, register = built
    import yaml

    personal = sources.personal_fields(register)
    public = {f.name for r in register.resources.values() for f in r.fields
              if f.name not in personal[r.id]}  # fmt: skip
    # a name personal wherever it occurs (person_name, legal_representative, citizen_id, ...)
    names = {n for fields in personal.values() for n in fields} - public
    names |= {f.pseudonym_column for r in register.resources.values() for f in r.fields
              if f.pseudonymised}  # fmt: skip
    spec = yaml.safe_load((ROOT / "dbt_project/models/open/_open__models.yml").read_text())
    declared = {m["name"]: m.get("meta", {}).get("resource") for m in spec["models"]}
    values: set[str] = set()
    for rid, fields in personal.items():
        for row in _accepted(root, rid):
            for f in fields:
                if row.get(f) and len(row[f].strip()) >= 2:
                    values.add(row[f].strip())
            values |= {v for k, v in row.items() if k.endswith("_key") and v}
    assert len(values) > 1000
    declared |= {r: r for r in register.resources}  # resources.<id> is resource <id>
    with _wh(root) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('open', 'resources')"
        ).fetchall()
        assert len([t for t in tables if t[0] == "open"]) >= 5
        assert {t for s, t in tables if s == "resources"} == {
            r.id for r in register.resources.values() if not r.classified
        }
        for schema, t in tables:
            cols = [c[0] for c in con.execute(f"describe {schema}.{t}").fetchall()]
            banned = names | personal.get(declared.get(t) or "", set())
            assert not set(cols) & banned, (t, set(cols) & banned)
            for c in cols:
                found = con.execute(
                    f"select distinct cast({c} as varchar) from {schema}.{t}"
                ).fetchall()
                leaked = {v for (v,) in found if v} & values
                assert not leaked, (t, c, sorted(leaked)[:3])


def test_staging_passes_pseudonymous_keys_only(built):
    root, _, register = built
    with _restricted(root) as con:
        for r in register.resources.values():
            cols = {c[0] for c in con.execute(
                f"describe staging.{sources.staging_model(r)}").fetchall()}  # fmt: skip
            for f in r.fields:
                if f.pseudonymised:
                    assert f.name not in cols and f.pseudonym_column in cols


def test_reused_dbt_json_schemas_are_dbts_own(built):
    """The build keeps the JSON schemas dbt derives from its config classes in a file, so the
    next process skips deriving them; every kept schema must be what dbt itself derives now."""
    import importlib
    import json

    from dbt_common.dataclass_schema import dbtClassMixin

    from govlake.patches import dbt as dbt_patches

    root, _, _ = built
    kept = json.loads(dbt_patches.schema_file(root / "_build").read_text(encoding="utf-8"))
    assert {"dbt.contracts.project.Project", "dbt.contracts.project.ProjectFlags"} <= set(kept)
    stock = dbt_patches.PATCHES.stock(dbtClassMixin, "json_schema").__func__
    for key, schema in kept.items():
        module, _, name = key.rpartition(".")
        cls = getattr(importlib.import_module(module), name)
        assert schema == json.loads(json.dumps(stock(cls))), key


def test_build_renders_the_register_outside_version_control(built):
    """The build assembles its dbt project in the lake: the hand-written files plus one staging,
    current-rows and analysts' model per resource; no rendered file lives in dbt_project/."""
    from govlake.transform.project import SOURCE_DIR, hand_written, render_project

    root, _, register = built
    assembled = root / "_build" / "dbt_project"
    rendered = render_project(register, assembled).generated
    assert set(sources.rendered(register)) <= rendered
    assert not [rel for rel in rendered if (SOURCE_DIR / rel).exists()]
    on_disk = {p.relative_to(assembled).as_posix() for p in assembled.rglob("*") if p.is_file()}
    assert on_disk == set(hand_written()) | rendered
    staging = {p.stem for p in (assembled / "models/staging").rglob("stg_*.sql")}
    assert staging == {sources.staging_model(r) for r in register.resources.values()}
    analysts = {p.stem for p in (assembled / sources.RESOURCES_DIR).glob("*.sql")}
    assert analysts == {sources.analyst_model(r) for r in register.resources.values()
                        if not r.classified}  # fmt: skip


def test_build_writes_no_tracked_file(built):
    """Snapshot of the repository's dbt project and register before the module's build."""
    assert _TRACKED_BEFORE and _tracked() == _TRACKED_BEFORE


def test_analyst_sql_sees_exposed_schemas_only(built, monkeypatch):
    from govlake.settings import get_settings
    from govlake.transform import run_sql

    root, _, _ = built
    monkeypatch.setenv("GOVLAKE_LAKE_ROOT", str(root))
    get_settings.cache_clear()
    schemas = run_sql("select distinct schema_name from duckdb_tables() order by 1", fmt="csv")
    assert schemas.split()[1:] == ["_govlake", "base", "catalogue", "conflicts", "open",
                                   "reference", "resources", "thematic"]  # fmt: skip
    # every exposed table is found without its schema, and `show tables` lists it
    shown = set(run_sql("show tables", fmt="csv").split()[1:])
    assert {"base_person", "open_population_by_street_sex_age", "registered_person"} <= shown
    assert run_sql("select count(*) as n from open_population_by_street_sex_age", fmt="csv")
    assert '"person_key"' not in run_sql("select count(*) as n from base.base_person", fmt="json")
    with pytest.raises(duckdb.Error, match="disabled"):
        run_sql(f"select * from read_parquet('{root}/accepted/hotel/*/*.parquet')")
    with pytest.raises(duckdb.Error):
        run_sql("select * from staging.stg_police__registered_persons")
    out = root.parent / "n.csv"
    run_sql("select count(*) as n from open.open_tourism_monthly", fmt="csv", output=out)
    assert out.read_text().splitlines()[0] == "n" and int(out.read_text().split()[1]) > 0
    table = run_sql("select street_name, count(*) as n from base.base_person group by 1")
    assert "street_name" in table.splitlines()[0] and "rows)" in table


def _reader_script(path: Path) -> str:
    return textwrap.dedent(f"""
        import duckdb, sys, time
        con = duckdb.connect({str(path)!r}, read_only=True)
        first = con.execute("select count(*) from base.base_person").fetchone()[0]
        print("ready", first, flush=True)
        seen = set()
        deadline = time.time() + 60
        while time.time() < deadline:
            seen.add(con.execute("select count(*) from base.base_person").fetchone()[0])
            if sys.stdin.readline().strip() == "stop":
                break
        print("seen", sorted(seen), flush=True)
    """)


def test_incremental_build_and_atomic_swap(built, monkeypatch):
    """A reader holding the old warehouse keeps its view through a build; the new batch is read
    incrementally; a build with nothing new is skipped and leaves the file untouched."""
    from govlake.settings import get_settings
    from govlake.transform import build

    root, _, register = built
    monkeypatch.setenv("GOVLAKE_LAKE_ROOT", str(root))
    monkeypatch.setenv("GOVLAKE_HMAC_KEY", KEY.decode())
    get_settings.cache_clear()
    warehouse = root / "warehouse.duckdb"
    with _wh(root) as con:
        before = con.execute("select count(*) from base.base_person").fetchone()[0]
    reader = subprocess.Popen(
        [sys.executable, "-c", _reader_script(warehouse)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert reader.stdout.readline().split() == ["ready", str(before)]

    day2 = DAY1 + dt.timedelta(days=1)
    generate(root, register, scale="small", seed=7, batch_date=day2, key=KEY,
             only={"registered_person"})  # fmt: skip
    started = time.perf_counter()
    result = build()
    seconds = time.perf_counter() - started
    assert result.success, result.message
    assert not result.full_refresh and len(result.new_batches) == 1
    reader.stdin.write("go\nstop\n")
    reader.stdin.flush()
    out, _ = reader.communicate(timeout=60)
    assert out.split() == ["seen", f"[{before}]"]  # old file, old count, throughout

    ids = {normalise(r["citizen_id"]) for r in _accepted(root, "registered_person")}
    valid = {i for i in ids if citizen_id_problem(i) is None}
    with _wh(root) as con:
        after = con.execute("select count(*) from base.base_person").fetchone()[0]
    assert after == len(valid) > before
    assert seconds < 30

    stamp = warehouse.stat().st_mtime_ns
    again = build()
    assert again.skipped and again.seconds < 2
    assert warehouse.stat().st_mtime_ns == stamp
    assert (root / "curated" / "open" / "open_population_by_street_sex_age.parquet").exists()
    assert not list(root.glob(".warehouse.next*/*"))
    os.sync()


def _redeliver(root: Path, resource: str, day: dt.date, change) -> None:
    """A new accepted batch of ``resource`` on ``day``: DAY1's rows that ``change(i, row)`` keeps
    (it returns the row, edited, or None to leave it out)."""
    import pyarrow as pa

    first = sorted((root / "accepted" / resource).glob(f"batch_date={DAY1}/*.parquet"))[0]
    table = pq.read_table(first)
    edited = (change(i, dict(row)) for i, row in enumerate(table.to_pylist()))
    rows = [r for r in edited if r is not None]
    batch = f"{resource}-{day:%Y%m%d}-redelivered"
    at = dt.datetime.combine(day, dt.time(7), tzinfo=dt.UTC)
    for n, r in enumerate(rows, start=1):
        r.update(_batch_id=batch, _source_row=n, _ingested_at=at,
                 _source_file=f"landing/{resource}/{day}/{resource}.csv")  # fmt: skip
    target = root / "accepted" / resource / f"batch_date={day}" / f"part-{batch}.parquet"
    target.parent.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), target)


def _tables(con: duckdb.DuckDBPyConnection, database: str) -> list[str]:
    return [f"{database}.{s}.{t}" for s, t in con.execute(
        "select schema_name, table_name from duckdb_tables() "
        "where database_name = ? and schema_name <> '_govlake' order by all", [database]
    ).fetchall()]  # fmt: skip


def test_incremental_builds_equal_a_full_build(tmp_path, monkeypatch):
    """Incremental builds (persons moving household and street or deregistered with 注销 in the
    police delta, a household snapshot without some households, employment changing or ended,
    a benefit snapshot, new persons, renamed enterprises and struck-off ones (吊销 / 注销), a
    late delivery the stored rows outrank, an as-of date that moves) leave every warehouse and
    restricted table exactly as a full build of the same accepted zone: keys that left are gone
    from the base databases and kept in the history with an end date."""
    import shutil

    from govlake.settings import get_settings
    from govlake.transform import build

    root = tmp_path / "lake"
    monkeypatch.setenv("GOVLAKE_LAKE_ROOT", str(root))
    monkeypatch.setenv("GOVLAKE_HMAC_KEY", KEY.decode())
    get_settings.cache_clear()
    register = load_register(ROOT / "catalog")
    generate(root, register, scale="tiny", batch_date=DAY1, key=KEY)
    assert build().full_refresh
    persons = pq.read_table(next((root / "accepted" / "registered_person").rglob("*.parquet")))
    people = persons.select(["citizen_id", "citizen_id_key", "household_id"]).to_pylist()
    streets = STREETS[:3]

    day2, day3 = DAY1 + dt.timedelta(days=1), DAY1 + dt.timedelta(days=2)

    def move(i: int, r: dict) -> dict | None:  # every 9th person to the next one's household
        if i % 13 == 5 and i < len(people) - 20:  # deregistered / moved away: 注销 (a delta)
            return r | {"operation": "注销"}
        if i % 9 or i + 1 >= len(people):
            return None
        return r | {"household_id": people[i + 1]["household_id"], "street_code": streets[i % 3],
                    "registration_type": "常住", "operation": "变更"}  # fmt: skip

    def households(i: int, r: dict) -> dict | None:  # the next full snapshot
        if i % 17 == 3:
            return None  # no longer in the police household register: ends
        return r | {"member_count": str(int(r["member_count"]) + 1)} if i % 5 == 0 else r

    _redeliver(root, "registered_person", day2, move)
    _redeliver(root, "household", day2, households)
    left = {
        r["citizen_id_key"] for i, r in enumerate(people) if i % 13 == 5 and i < len(people) - 20
    }
    day1_households = next((root / "accepted" / "household").glob(f"batch_date={DAY1}/*"))
    gone_households = {r["household_id"] for i, r in enumerate(
        pq.read_table(day1_households).to_pylist()) if i % 17 == 3}  # fmt: skip
    generate(root, register, scale="tiny", seed=7, batch_date=day2, key=KEY,
             only={"registered_person"})  # fmt: skip
    # a late delivery dated before DAY1: the stored (newer) rows must keep winning
    _redeliver(root, "registered_person", DAY1 - dt.timedelta(days=1),
               lambda i, r: r | {"ethnicity": "满族"} if i % 11 == 0 else None)  # fmt: skip
    second = build()
    assert second.success and not second.full_refresh, second.message
    with _wh(root) as con:
        kept = {k for (k,) in con.execute("select person_key from base.base_person").fetchall()}
        homes = {
            h for (h,) in con.execute("select household_id from base.base_household").fetchall()
        }
    assert left and not left & kept  # deregistered persons left 人口基础库 incrementally
    assert gone_households and not gone_households & homes and len(homes) > len(gone_households)
    with _restricted(root) as con:
        ended = dict(
            con.execute(
                "select citizen_id_key, valid_to from intermediate."
                "int_police__registered_persons_history where valid_to is not null"
            ).fetchall()
        )
        ended_households = dict(con.execute(
            "select household_id, ended_by_batch_id from intermediate."
            "int_police__households_history where valid_to is not null").fetchall())  # fmt: skip
    assert ended == dict.fromkeys(left, day2)  # kept in the history, with the end date
    assert set(ended_households) == gone_households
    assert set(ended_households.values()) == {f"household-{day2:%Y%m%d}-redelivered"}

    statuses = sorted({r["employment_status"] for r in _accepted(root, "social_insurance_enrolment")
                       if r["employment_status"]})  # fmt: skip
    enrolments = _accepted(root, "social_insurance_enrolment")  # DAY1's only, so far
    stopped = {r["citizen_id_key"] for i, r in enumerate(enrolments) if i % 10 == 2}
    struck = {normalise(r["credit_code"]) for i, r in enumerate(
        _accepted(root, "enterprise_registration")) if i % 23 == 4}  # fmt: skip
    _redeliver(root, "social_insurance_enrolment", day3,
               lambda i, r: r | {"operation": "注销"} if i % 10 == 2
               else r | {"employment_status": statuses[i % len(statuses)], "operation": "变更"}
               if i % 4 == 0 else None)  # fmt: skip
    _redeliver(root, "elderly_care_benefit", day3,  # benefits for persons who may have none
               lambda i, r: r | {k: people[-1 - i][k] for k in ("citizen_id", "citizen_id_key")}
               if i % 3 == 0 else None)  # fmt: skip
    _redeliver(root, "enterprise_registration", day3,  # renamed: name conflicts come and go;
               lambda i, r: r | {"operation": "吊销" if i % 2 else "注销"}  # some struck off
               if i % 23 == 4 else
               r | {"entity_name": f"{r['entity_name']}分公司", "operation": "变更"}
               if i % 7 == 0 else None)  # fmt: skip
    third = build()
    assert third.success and not third.full_refresh, third.message
    with _wh(root) as con:
        insured = dict(
            con.execute("select person_key, is_insured from base.base_person").fetchall()
        )
        entities = {c for (c,) in con.execute("select credit_code from base.base_legal_entity")
                    .fetchall()}  # fmt: skip
    assert stopped and not any(insured.get(k) for k in stopped)  # enrolments ended (注销)
    assert len(struck) > 3 and not struck & entities  # struck off (吊销 / 注销): left 法人基础库
    # other new batches, same project: dbt reuses its saved parse (run parameters are
    # environment variables read at execution only; --vars would force a re-parse)
    log = (root / "_build" / "dbt_logs" / "dbt.log").read_text(encoding="utf-8")
    last_run = log[log.rindex("running dbt with arguments") :]
    assert "Partial parsing enabled, no changes found, skipping parsing" in last_run
    # only what a build touched is exported again
    assert {"curated/base/base_person.parquet", "curated/base/base_household.parquet"} <= set(
        second.exported
    )
    assert "curated/base/base_legal_entity.parquet" not in second.exported
    assert "curated/base/base_legal_entity.parquet" in third.exported

    full_root = tmp_path / "full"
    shutil.copytree(root / "accepted", full_root / "accepted")
    monkeypatch.setenv("GOVLAKE_LAKE_ROOT", str(full_root))
    get_settings.cache_clear()
    assert build().full_refresh

    con = duckdb.connect()
    for name, lake in (("incremental", root), ("rebuilt", full_root)):
        con.execute(f"attach '{lake / 'warehouse.duckdb'}' as {name} (read_only)")
        con.execute(f"attach '{lake / '_build/restricted.duckdb'}' as {name}_r (read_only)")
    tables = _tables(con, "incremental") + _tables(con, "incremental_r")
    rebuilt = _tables(con, "rebuilt") + _tables(con, "rebuilt_r")
    assert tables == [t.replace("rebuilt", "incremental", 1) for t in rebuilt]
    assert {"incremental.base.base_person", "incremental.base.base_household",
            "incremental.base.base_legal_entity",
            "incremental.open.open_population_by_street_sex_age"} <= set(tables)  # fmt: skip
    different = {}
    for table in tables:
        other = table.replace("incremental", "rebuilt", 1)
        only_inc, only_full = (
            con.execute(f"select count(*) from (from {a} except all from {b})").fetchone()[0]
            for a, b in ((table, other), (other, table))
        )
        if only_inc or only_full:
            different[table] = (only_inc, only_full)
    assert not different, different
    ages = con.execute("select distinct as_of_date from incremental.base.base_person").fetchall()
    assert ages == [(day2,)]  # the late batch moved nothing; day 3 delivered no police rows


def test_the_catalogue_tables_are_the_register_and_the_derived_models(built):
    """catalogue_resource holds exactly the entries (register + dbt meta); lineage follows the
    dbt graph through staging and intermediate models; a classified entry has no row count."""
    from govlake.catalogue.entries import entries

    root, _, register = built
    expected = {e.code: e for e in entries(register)}
    with _wh(root) as con:
        sql = "select resource_code, {} from catalogue.catalogue_{}"
        rows = dict(con.execute(sql.format("layer", "resource")).fetchall())
        edges = set(con.execute("select * from catalogue.catalogue_lineage").fetchall())
        counts = dict(con.execute(sql.format("current_rows", "status")).fetchall())
        scores = con.execute(
            "select min(score), max(score), count(*) from catalogue.catalogue_metadata_quality"
        ).fetchone()
    assert rows == {code: e.layer for code, e in expected.items()}
    person = register.resource("registered_person").resource_code
    base_person = next(e.code for e in expected.values() if e.resource_id == "base_person")
    open_population = next(
        e.code for e in expected.values() if e.resource_id == "open_population_by_street_sex_age"
    )
    assert {(person, base_person), (base_person, open_population)} <= edges
    assert (person, open_population) not in edges  # nearest catalogued ancestor only
    for r in register.resources.values():
        assert (counts[r.resource_code] is None) == r.classified
    assert 0 < scores[0] <= scores[1] <= 100 and scores[2] == len(expected)


def test_catalogue_step_rebuilds_the_tables_only_when_out_of_date(built, monkeypatch):
    """After a build the catalogue tables are current (made for the day): the catalogue DAG's
    task writes exports and site only; on another day it rebuilds them for that day."""
    from govlake.pipeline import catalogue_step
    from govlake.settings import get_settings
    from govlake.transform.build import beijing_today
    from govlake.transform.query import catalogue_as_of

    root, _, _ = built
    monkeypatch.setenv("GOVLAKE_LAKE_ROOT", str(root))
    monkeypatch.setenv("GOVLAKE_HMAC_KEY", KEY.decode())
    get_settings.cache_clear()
    today = beijing_today()
    if catalogue_as_of() != today:  # the module's build ran before midnight in Beijing
        catalogue_step(today.isoformat())
    same_day = catalogue_step(today.isoformat())
    assert not same_day["problems"] and not same_day["models_rebuilt"]
    assert (root / "catalogue" / "exports" / "catalogue.json").is_file()
    later = today + dt.timedelta(days=400)
    next_time = catalogue_step(later.isoformat())
    assert next_time["models_rebuilt"] and catalogue_as_of() == later
    assert not catalogue_step(later.isoformat())["models_rebuilt"]


def test_build_runs_under_the_memory_limit_and_cleans_its_spill_folder(built, monkeypatch):
    """GOVLAKE_BUILD_MEMORY_LIMIT reaches DuckDB: a limit far too small for the build fails it
    with DuckDB's out-of-memory error and leaves the warehouse as it was; no spill file stays."""
    from govlake.settings import get_settings
    from govlake.transform import build

    root, _, _ = built
    monkeypatch.setenv("GOVLAKE_LAKE_ROOT", str(root))
    monkeypatch.setenv("GOVLAKE_HMAC_KEY", KEY.decode())
    monkeypatch.setenv("GOVLAKE_BUILD_MEMORY_LIMIT", "1MB")
    get_settings.cache_clear()
    assert get_settings().spill_dir == root / "_build" / "spill"
    stamp = (root / "warehouse.duckdb").stat().st_mtime_ns
    result = build(full_refresh=True)
    assert not result.success
    assert "Out of Memory" in result.message and "976.5 KiB" in result.message, result.message
    assert (root / "warehouse.duckdb").stat().st_mtime_ns == stamp
    assert not [p for p in (root / "_build" / "spill").rglob("*") if p.is_file()]
    get_settings.cache_clear()
