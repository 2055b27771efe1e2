"""Catalogue DAG: after every build, the resource catalogue (政务信息资源目录) is rebuilt — its
dbt models with freshness judged on the run's day, the exports (JSON, CSV, XLSX, DCAT) and the
site for departments — all from the warehouse the build just swapped in.

Asset-scheduled on the build's outputs; one run at a time (it writes the warehouse through dbt).
"""

from __future__ import annotations

import datetime as dt
from functools import reduce
from operator import or_

from airflow.sdk import dag, task

from govlake.assets import BUILT_LAYERS, catalogue_asset, warehouse_asset


@dag(
    dag_id="catalogue",
    description="resource catalogue: dbt models, exports, site",
    schedule=reduce(or_, [warehouse_asset(layer) for layer in BUILT_LAYERS]),
    start_date=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,
    tags=["catalogue", "dbt"],
    default_args={"retries": 1, "retry_delay": dt.timedelta(minutes=2)},
    doc_md=__doc__,
)
def catalogue():
    @task(outlets=[warehouse_asset("catalogue"), catalogue_asset()])
    def publish_catalogue(dag_run=None) -> dict:
        from airflow.sdk.exceptions import AirflowFailException

        from govlake.pipeline import catalogue_step
        from govlake.transform.build import beijing_today

        day = beijing_today(dag_run.run_after).isoformat()
        summary = catalogue_step(as_of=day)
        if summary["problems"]:
            raise AirflowFailException("\n".join(summary["problems"]))
        return summary

    publish_catalogue()


catalogue()
