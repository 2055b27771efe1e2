"""The patches on library internals (``govlake.patches``), both ways: on the release each was
written for it applies and gives the library's own results; on any other release (forced here
by changing the release the patch set expects) the library runs as shipped, with the same
results."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pyarrow as pa
import pytest

pytestmark = pytest.mark.integration

ANOTHER_RELEASE = "0.0.0"


def _replaced(patches, where: list[tuple[object, str]]) -> list[bool]:
    """For each (owner, name): is the attribute something other than the library's own?"""
    return [vars(owner)[name] is not patches.stock(owner, name) for owner, name in where]


# --- Great Expectations -----------------------------------------------------------------------


def _person_frame(register):
    """registered_person rows with one of each defect the suite finds, as the gate checks them."""
    from test_quality_gate import person

    from govlake.quality.frame import checked_frame

    rows = [person(i) for i in range(200)]
    rows += [person(3), person(261, sex="男"), person(262, birth_date="1900-13-01")]
    rows += [person(266, ethnicity="火星族"), person(267, citizen_id="110107" + "1" * 12)]
    rows += [person(268, registration_type=None), person(269, street_code="110107999")]
    res = register.resource("registered_person")
    raw = pa.table({f.name: pa.array([r[f.name] for r in rows], pa.string()) for f in res.fields})
    return checked_frame(raw, res)


def _gx_attributes() -> list[tuple[object, str]]:
    from great_expectations.core import id_dict
    from great_expectations.execution_engine import pandas_execution_engine
    from great_expectations.expectations.expectation import Expectation
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )
    from great_expectations.validator.validation_graph import ValidationGraph

    return [
        (pandas_execution_engine, "hash_pandas_dataframe"),
        (id_dict, "convert_to_json_serializable"),
        (Expectation, "configuration"),
        (ExpectationConfiguration, "to_domain_obj"),
        (ValidationGraph, "build_metric_dependency_graph"),
    ]


def test_gx_patches_give_stock_gx_results_and_stay_off_on_another_release(
    register, monkeypatch
) -> None:
    from govlake.patches import gx as gx_patches
    from govlake.quality.gx_runner import run_suite
    from govlake.quality.suites import suite_expectations

    frame = _person_frame(register)

    def run(name: str):
        exps = suite_expectations("registered_person", register, dt.date(2024, 6, 1))
        return run_suite(frame, exps, name, normalised=True)

    patched = run("patched")
    where = _gx_attributes()
    assert gx_patches.PATCHES.applies()
    assert _replaced(gx_patches.PATCHES, where) == [True] * len(where)
    shipped = [gx_patches.PATCHES.stock(owner, name) for owner, name in where]

    monkeypatch.setattr(gx_patches.PATCHES, "written_for", ANOTHER_RELEASE)
    with gx_patches.frozen_expectations() as active:
        assert not active
    stock = run("stock")
    assert [vars(owner)[name] for owner, name in where] == shipped  # GX as shipped

    assert patched.failing == stock.failing
    assert patched.rows == stock.rows
    assert sum(r["failed"] for r in stock.rows) >= 7  # the defects above were found
    # GX's own results, expectation by expectation (the batch's fingerprint, in the run's
    # meta, is the one thing the patches change on purpose)
    assert patched.gx_result["results"] == stock.gx_result["results"]
    assert patched.gx_result["statistics"] == stock.gx_result["statistics"]
    assert patched.gx_result["success"] == stock.gx_result["success"]

    monkeypatch.undo()  # the release written for again: the next run patches GX once more
    again = run("again")
    assert _replaced(gx_patches.PATCHES, where) == [True] * len(where)
    assert again.failing == patched.failing


def test_fast_metric_ids_are_stock_gx_ids() -> None:
    """The fast-id patch skips GX's JSON conversion for plain kwargs; the ids (the keys GX
    resolves metrics by) must be the very bytes stock GX computes, for plain and other data."""
    import hashlib
    import json

    import numpy as np
    from great_expectations.core.id_dict import IDDict

    from govlake.patches import gx as gx_patches

    assert gx_patches.apply()
    from great_expectations.core import id_dict

    convert = gx_patches.PATCHES.stock(id_dict, "convert_to_json_serializable")
    assert id_dict.convert_to_json_serializable is not convert

    def stock_id(d: dict) -> str:
        text = json.dumps(convert(data=dict(d)), sort_keys=True)
        return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()

    cases = [
        {"column": "sex", "batch_id": "b1", "row_condition": None},
        {"value_set": ["男", "女"], "parse_strings_as_datetimes": False, "mostly": 1.0},
        {"value_set": ("a", "b"), "nested": {"k": [1, 2.5, True, None]}},
        {"as_of": dt.date(2024, 6, 3), "column": "birth_date"},  # not plain: GX converts
        {"min_value": float("nan"), "max_value": 3},  # NaN becomes null in GX
        {"n": np.int64(3), "s": {"x"}, "keys": {1: "a"}},  # numpy, set, non-string key
    ]
    for case in cases:
        assert IDDict(case).to_id() == stock_id(case), case


# --- dbt (dbt-common) -------------------------------------------------------------------------


def test_dbt_json_schemas_kept_on_the_release_written_for_only(tmp_path: Path, monkeypatch) -> None:
    """Kept schemas are dbt's own; on another dbt-common release nothing is kept or replaced
    and dbt derives the same schemas itself."""
    from dbt.contracts.project import Project, ProjectFlags
    from dbt_common.dataclass_schema import dbtClassMixin

    from govlake.patches import dbt as dbt_patches

    assert dbt_patches.reuse_json_schemas(tmp_path / "kept")
    assert _replaced(dbt_patches.PATCHES, [(dbtClassMixin, "json_schema")]) == [True]
    patched = {cls: cls.json_schema() for cls in (Project, ProjectFlags)}
    assert dbt_patches.schema_file(tmp_path / "kept").exists()

    monkeypatch.setattr(dbt_patches.PATCHES, "written_for", ANOTHER_RELEASE)
    assert not dbt_patches.reuse_json_schemas(tmp_path / "other")
    assert _replaced(dbt_patches.PATCHES, [(dbtClassMixin, "json_schema")]) == [False]
    assert not (tmp_path / "other").exists()
    assert {cls: cls.json_schema() for cls in (Project, ProjectFlags)} == patched


# --- dbt-duckdb -------------------------------------------------------------------------------

PROJECT = {
    "dbt_project.yml": "name: swap\nversion: '1.0'\nprofile: swap\n"
    "models:\n  swap:\n    +materialized: table\n",
    "profiles.yml": "swap:\n  target: t\n  outputs:\n    t:\n      type: duckdb\n"
    "      path: \"{{ env_var('SWAP_DB') }}\"\n      threads: 1\n",
    "models/m.sql": "select {{ env_var('SWAP_RUN') }} as run\n",
}


def test_dbt_duckdb_database_released_both_ways(tmp_path: Path, monkeypatch) -> None:
    """Builds in one process, each into the same path, the file renamed away after each (as
    ``build()`` swaps the warehouse in). Each build must write a new file at the path, whether
    the database is released by the patch or, on another release, by the adapter's own
    clean-up. A minimal dbt project: only dbt-duckdb's process-wide handle is under test."""
    import duckdb
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    from dbt.cli.main import dbtRunner

    from govlake.patches import dbt_duckdb

    for name, text in PROJECT.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    path = tmp_path / "next.duckdb"
    monkeypatch.setenv("SWAP_DB", str(path))
    args = ["build", "--quiet", "--project-dir", str(tmp_path), "--profiles-dir", str(tmp_path)]
    args += ["--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")]

    released = []
    for run, release in enumerate(["patched", "patched", "stock", "stock"], start=1):
        if release == "stock":
            monkeypatch.setattr(dbt_duckdb.PATCHES, "written_for", ANOTHER_RELEASE)
        monkeypatch.setenv("SWAP_RUN", str(run))
        assert dbtRunner().invoke(args).success, run
        released.append(dbt_duckdb.release_database())
        assert DuckDBConnectionManager._ENV is None
        os.replace(path, tmp_path / f"built-{run}.duckdb")
    assert released == [True, True, False, False]
    for run in range(1, 5):
        con = duckdb.connect(str(tmp_path / f"built-{run}.duckdb"), read_only=True)
        assert con.sql("select run from m").fetchall() == [(run,)], run
        con.close()
