"""Ingest DAGs, one per register resource: landing → raw → quality gate → accepted.

Generated from `catalog/` (the register), so a new department extract needs a register entry,
not a new DAG file. A run first waits for complete deliveries (`wait_for_delivery`, a sensor in
reschedule mode: it frees its worker slot between looks) while every new or changed file is
still incomplete under its department's rule (completion marker or settle time,
docs/delivery.md); with nothing waiting it goes on at once, and after
`GOVLAKE_DELIVERY_WAIT_SECONDS` it gives up quietly (skipped: the next run looks again). It
then picks up every complete file not yet in the manifest or changed since, so reruns are
idempotent; a file that cannot be read or a batch held by the quality gate fails the run with a
message naming file or batch, without stopping the other files.
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import dag, task
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from govlake.assets import accepted_asset
from govlake.register import UpdateCycle, load_register
from govlake.settings import get_settings

# How often to look in the landing zone, from the resource's 更新周期.
SCHEDULES = {
    UpdateCycle.realtime: "*/15 * * * *",
    UpdateCycle.daily: "@daily",
    UpdateCycle.weekly: "@daily",
    UpdateCycle.monthly: "@daily",
    UpdateCycle.quarterly: "@weekly",
    UpdateCycle.yearly: "@weekly",
}


def ingest_dag(resource_id: str, department: str, name: str, cycle: UpdateCycle):
    settings = get_settings()  # environment only: no IO

    @dag(
        dag_id=f"ingest__{resource_id}",
        description=f"{name} ({department}) → lake",
        schedule=SCHEDULES[cycle],
        start_date=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
        catchup=False,
        max_active_runs=1,
        tags=["ingest", department],
        default_args={"retries": 2, "retry_delay": dt.timedelta(minutes=1)},
        doc_md=__doc__,
    )
    def ingest_resource():
        @task.sensor(
            mode="reschedule",
            poke_interval=settings.delivery_poke_seconds,
            timeout=settings.delivery_wait_seconds,
            soft_fail=True,
            retries=0,
        )
        def wait_for_delivery() -> bool:
            from govlake.pipeline import delivery_ready

            return delivery_ready(resource_id)

        @task
        def ingest() -> dict:
            from govlake.pipeline import ingest_step

            return ingest_step(resource_id)

        @task(outlets=[accepted_asset(resource_id)])
        def quality_gate(ti=None) -> dict:
            from govlake.pipeline import gate_step

            summary = gate_step(resource_id)
            ti.xcom_push(key="summary", value=summary)
            if not summary["batches"]:
                # Nothing newly accepted: skip, so no Asset event wakes the build for nothing.
                raise AirflowSkipException("no new accepted batch")
            return summary

        # none_failed: runs after a skipped gate, but a crashed stage fails the run upstream.
        @task(trigger_rule="none_failed", retries=0)
        def verdict(ti=None) -> None:
            from govlake.pipeline import verdict as collect

            problems = collect(
                ti.xcom_pull(task_ids="ingest"),
                ti.xcom_pull(task_ids="quality_gate", key="summary"),
            )
            if problems:
                raise AirflowFailException("\n".join(problems))

        wait_for_delivery() >> ingest() >> quality_gate() >> verdict()

    return ingest_resource()


for _resource in load_register().resources.values():
    ingest_dag(_resource.id, _resource.department, _resource.name, _resource.update_cycle)
