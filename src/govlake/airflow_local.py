"""Airflow in-process on SQLite: the embedded default that ``govlake run`` and the tests use.

The same DAG files run unchanged under the scaled deployment (docker-compose: Postgres +
CeleryExecutor); only the environment differs.
"""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from govlake.settings import PROJECT_ROOT

DAGS_FOLDER = PROJECT_ROOT / "dags"


def configure(airflow_home: Path) -> None:
    """Point Airflow at a local home and the project's dags/ (before airflow is imported)."""
    airflow_home.mkdir(parents=True, exist_ok=True)
    defaults = {
        "AIRFLOW_HOME": str(airflow_home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{airflow_home / 'airflow.db'}",
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
        # an interactive run waits briefly for incomplete deliveries (docs/delivery.md), not
        # the scheduler's hour: what is still incomplete is left for the next run
        "GOVLAKE_DELIVERY_POKE_SECONDS": "5",
        "GOVLAKE_DELIVERY_WAIT_SECONDS": "30",
    }
    for key, value in defaults.items():
        os.environ.setdefault(key, value)
    from govlake.settings import get_settings

    get_settings.cache_clear()  # the DAG files read these when parsed


def migrate() -> None:
    """Create or upgrade the metadata database (idempotent, ~4 s on SQLite)."""
    from airflow.utils import db

    db.initdb()


def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS_FOLDER))


@dataclass
class DagRunOutcome:
    dag_id: str
    state: str
    failed_tasks: list[str]

    @property
    def ok(self) -> bool:
        return self.state == "success"


def run_dag(dag) -> DagRunOutcome:
    """Run one DAG to completion in this process (``dag.test()``), quietly."""
    logging.getLogger("airflow").setLevel(logging.WARNING)
    run = dag.test()
    failed = [
        ti.task_id for ti in run.get_task_instances() if ti.state in ("failed", "upstream_failed")
    ]
    return DagRunOutcome(dag.dag_id, str(run.state), failed)
