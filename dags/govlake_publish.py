"""Publish DAG: after the catalogue of a build, the open, non-classified, non-personal catalogue
entries are synced to CKAN — the local portal, or ``GOVLAKE_CKAN_URL`` with its token — as one
dataset each with CSV, Parquet, JSON, a data dictionary and a DataStore preview. Unchanged files
are not uploaded again; a dataset no longer open is withdrawn; the sync report is kept in the lake.

Asset-scheduled on the open products and the catalogue of the same build; one run at a time.
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import dag, task

from govlake.assets import catalogue_asset, open_data_asset, warehouse_asset


@dag(
    dag_id="publish",
    description="open data → CKAN (files, data dictionary, DataStore)",
    schedule=warehouse_asset("open") & catalogue_asset(),
    start_date=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,
    tags=["publish", "ckan"],
    default_args={"retries": 1, "retry_delay": dt.timedelta(minutes=2)},
    doc_md=__doc__,
)
def publish():
    @task(outlets=[open_data_asset()])
    def sync_open_data() -> dict:
        from airflow.sdk.exceptions import AirflowFailException

        from govlake.pipeline import publish_step

        summary = publish_step()
        if summary["problems"]:
            raise AirflowFailException("\n".join(summary["problems"]))
        return summary

    sync_open_data()


publish()
