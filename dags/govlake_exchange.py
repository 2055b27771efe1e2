"""Exchange DAG (共享交换): after every build, each active grant's batches not yet delivered go to
the grantee's outbox (``<lake>/exchange/<department>/<resource>/<batch>.parquet``), each with a
receipt in the hash-chained audit log; demands a resource now meets are closed (供需对接); the
catalogue site is rebuilt to show them.

Asset-scheduled on the base and thematic layers the build writes (department batches are taken
in by the same build). One run at a time; a grant's expiry is judged on the run's day.
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import dag, task

from govlake.assets import exchange_asset, warehouse_asset


@dag(
    dag_id="exchange",
    description="shared exchange: scoped deliveries to department outboxes, audit log",
    schedule=warehouse_asset("base") | warehouse_asset("thematic"),
    start_date=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,
    tags=["exchange"],
    default_args={"retries": 1, "retry_delay": dt.timedelta(minutes=2)},
    doc_md=__doc__,
)
def exchange():
    @task(outlets=[exchange_asset()])
    def deliver(dag_run=None) -> dict:
        from airflow.sdk.exceptions import AirflowFailException

        from govlake.pipeline import exchange_step
        from govlake.transform.build import beijing_today

        summary = exchange_step(as_of=beijing_today(dag_run.run_after).isoformat())
        if summary["problems"]:
            raise AirflowFailException("\n".join(summary["problems"]))
        return summary

    deliver()


exchange()
