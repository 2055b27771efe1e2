"""Build DAG: dbt on DuckDB builds the base databases (基础库), thematic and open products (and
the catalogue tables with them) whenever any resource has a newly accepted batch
(Asset-scheduled); the catalogue DAG follows it.

One dbt writer at a time (max_active_runs=1): DuckDB allows a single writing process per file;
the build writes a new warehouse file and swaps it in, so analysts never see a half-built state.
"""

from __future__ import annotations

import datetime as dt
from functools import reduce
from operator import or_

from airflow.sdk import dag, task

from govlake.assets import BUILT_LAYERS, accepted_asset, warehouse_asset
from govlake.register import load_register

_accepted = [accepted_asset(r) for r in sorted(load_register().resources)]


@dag(
    dag_id="build",
    description="dbt build of the warehouse from accepted batches",
    schedule=reduce(or_, _accepted),
    start_date=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,
    tags=["build", "dbt"],
    default_args={"retries": 1, "retry_delay": dt.timedelta(minutes=2)},
    doc_md=__doc__,
)
def build():
    @task(outlets=[warehouse_asset(layer) for layer in BUILT_LAYERS])
    def dbt_build() -> dict:
        from govlake.transform import build as run_build

        result = run_build()
        if not result.success:
            from airflow.sdk.exceptions import AirflowFailException

            raise AirflowFailException(result.message)
        return result.summary()

    dbt_build()


build()
