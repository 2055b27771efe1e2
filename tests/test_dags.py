"""The DAG files: they import, there is one ingest DAG per register resource, and the build DAG
is scheduled on every resource's accepted Asset."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def dagbag():
    from govlake import airflow_local

    return airflow_local.dagbag()


def test_dags_import_without_errors(dagbag) -> None:
    assert dagbag.import_errors == {}


def test_one_ingest_dag_per_resource(dagbag, register) -> None:
    ingest = {d for d in dagbag.dag_ids if d.startswith("ingest__")}
    assert ingest == {f"ingest__{r}" for r in register.resources}
    for rid, resource in register.resources.items():
        dag = dagbag.dags[f"ingest__{rid}"]
        assert set(dag.tags) == {"ingest", resource.department}
        assert [t.task_id for t in dag.topological_sort()] == [
            "wait_for_delivery", "ingest", "quality_gate", "verdict",
        ]  # fmt: skip
        sensor = dag.get_task("wait_for_delivery")  # waits without holding a worker slot
        assert (sensor.mode, sensor.soft_fail) == ("reschedule", True)
        assert dag.get_task("ingest").retries == 2
        assert dag.get_task("verdict").retries == 0  # bad data does not get better on retry
        assert dag.max_active_runs == 1
        assert dag.doc_md and "landing → raw" in dag.doc_md
        [outlet] = dag.get_task("quality_gate").outlets
        assert outlet.uri == f"govlake://lake/accepted/{rid}"


def test_build_dag_waits_for_any_accepted_asset(dagbag, register) -> None:
    build = dagbag.dags["build"]
    condition = build.timetable.asset_condition
    assert type(condition).__name__ == "AssetAny"  # any one resource's new data wakes the build
    uris = {a.uri for a in condition.objects}
    assert uris == {f"govlake://lake/accepted/{r}" for r in register.resources}
    assert build.max_active_runs == 1


def test_catalogue_dag_follows_the_build(dagbag) -> None:
    """The catalogue is rebuilt after every build: scheduled on what the build DAG writes."""
    build, catalogue = dagbag.dags["build"], dagbag.dags["catalogue"]
    written = {o.uri for o in build.get_task("dbt_build").outlets}
    condition = catalogue.timetable.asset_condition
    assert type(condition).__name__ == "AssetAny"
    assert {a.uri for a in condition.objects} == written
    assert "govlake://warehouse/catalogue" not in written  # the catalogue DAG writes that one
    [task] = catalogue.tasks
    assert "govlake://warehouse/catalogue" in {o.uri for o in task.outlets}
    assert catalogue.max_active_runs == 1


def test_exchange_dag_follows_the_base_and_thematic_layers(dagbag) -> None:
    exchange = dagbag.dags["exchange"]
    condition = exchange.timetable.asset_condition
    assert type(condition).__name__ == "AssetAny"
    assert {a.uri for a in condition.objects} == {
        "govlake://warehouse/base", "govlake://warehouse/thematic",
    }  # fmt: skip
    [task] = exchange.tasks
    assert {o.uri for o in task.outlets} == {"govlake://lake/exchange"}
    assert exchange.max_active_runs == 1
