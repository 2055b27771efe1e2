"""The ingest DAG's wait for complete deliveries, through real Airflow (``dag.test()``): a sensor
in reschedule mode that goes on at once when nothing waits, reschedules itself while a file
lacks its completion marker, and gives up softly (skipped, run not failed) after its timeout."""

from __future__ import annotations

import threading

import pytest
from test_ingest import complete, landing_file
from test_landing import PERSON, person_csv

pytestmark = pytest.mark.integration


def _dagbag(monkeypatch, *, wait: float):
    """DAGs parsed with a 1 s poke interval and ``wait`` s timeout (settings at parse time)."""
    from govlake import airflow_local
    from govlake.settings import get_settings

    monkeypatch.setenv("GOVLAKE_DELIVERY_POKE_SECONDS", "1")
    monkeypatch.setenv("GOVLAKE_DELIVERY_WAIT_SECONDS", str(wait))
    get_settings.cache_clear()
    airflow_local.migrate()
    bag = airflow_local.dagbag()
    sensor = bag.dags[f"ingest__{PERSON}"].get_task("wait_for_delivery")
    assert (sensor.poke_interval, sensor.timeout, sensor.mode) == (1, wait, "reschedule")
    return bag


def _reschedules(run) -> int:
    from airflow.models.taskreschedule import TaskReschedule
    from airflow.utils.session import create_session

    ti = run.get_task_instance("wait_for_delivery")
    with create_session() as session:
        return session.query(TaskReschedule).filter(TaskReschedule.ti_id == ti.id).count()


def _states(run) -> dict[str, str]:
    return {ti.task_id: str(ti.state) for ti in run.get_task_instances()}


def test_sensor_waits_for_the_marker_without_blocking_an_empty_run(
    lake_root, register, monkeypatch
) -> None:
    from govlake.ingest import read_manifest

    dag = _dagbag(monkeypatch, wait=60).dags[f"ingest__{PERSON}"]
    empty = dag.test()  # nothing in landing: the sensor is done at its first look
    assert str(empty.state) == "success"
    assert _reschedules(empty) == 0
    assert _states(empty)["wait_for_delivery"] == "success"

    path = landing_file(lake_root, register.resource(PERSON), "p.csv")
    path.write_bytes(person_csv(register, range(30)))  # copied, marker not yet written
    # the exchange server writes the marker once the sensor has looked and found it missing
    # (tasks run in this process under dag.test(): the real function, observed, not replaced)
    from govlake.ingest import runner

    looked, real = threading.Event(), runner.delivery_ready

    def observed(*args, **kwargs) -> bool:
        ready = real(*args, **kwargs)
        if not ready:
            looked.set()
        return ready

    monkeypatch.setattr(runner, "delivery_ready", observed)

    def exchange_server() -> None:
        if looked.wait(timeout=120):
            complete(lake_root, register.resource(PERSON), path)

    marker = threading.Thread(target=exchange_server)
    marker.start()
    try:
        run = dag.test()
    finally:
        looked.set()
        marker.join()
    assert str(run.state) == "success", _states(run)
    assert _reschedules(run) >= 1  # it looked, freed its slot, looked again
    [entry] = read_manifest(PERSON)
    assert (entry["status"], entry["rows"]) == ("accepted", 30)


def test_sensor_gives_up_softly_after_its_timeout(lake_root, register, monkeypatch) -> None:
    from govlake.ingest import read_manifest
    from govlake.ingest.runner import waiting_files

    dag = _dagbag(monkeypatch, wait=3).dags[f"ingest__{PERSON}"]
    path = landing_file(lake_root, register.resource(PERSON), "p.csv")
    path.write_bytes(person_csv(register, range(5)))  # never marked complete
    run = dag.test()
    states = _states(run)
    assert states["wait_for_delivery"] == "skipped"  # soft fail: not a failed run
    assert states["ingest"] == "skipped"
    assert str(run.state) == "success"
    assert read_manifest(PERSON) == []
    assert [w["status"] for w in waiting_files(PERSON)] == ["waiting"]
