"""Airflow worker processes that load Great Expectations once, before they fork any task.

Airflow 3 starts a task by a bare ``os.fork()`` of the worker process that supervises it, so what
that process imported is inherited by every task it runs. GX takes seconds to import; without
this, every quality-gate task pays it again. Both executors govlake runs get a warm GX:

- **LocalExecutor** (``govlake airflow``, the embedded default): its worker processes are forked
  from the scheduler when the executor starts. ``PreloadingLocalExecutor`` warms GX up in the
  scheduler just before (``AIRFLOW__CORE__EXECUTOR`` in ``airflow_local``). The scheduler holds
  GX too: one process more, on one machine.
- **CeleryExecutor** (``docker-compose.yml``): a Celery worker forks its pool of processes after
  it starts, and each pool process forks the tasks. ``CELERY_CONFIG`` is Airflow's default Celery
  configuration; reading it (``AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS``) connects Celery's
  ``worker_init`` signal, which fires in the worker's main process before the pool is forked. The
  scheduler reads it too, where the signal never fires.

The gate logs which case it met (``gx_runner.warmth``).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from airflow.executors.local_executor import LocalExecutor

log = logging.getLogger(__name__)
CELERY_CONFIG_OPTIONS = "govlake.airflow_workers.CELERY_CONFIG"  # what the deployment sets


def preload(**_signal: Any) -> None:
    """Import GX and build its context in this process (a Celery signal handler too)."""
    from govlake.quality.gx_runner import warm_up

    started = time.perf_counter()
    warm_up()
    log.info("Great Expectations preloaded for the tasks in %.1f s", time.perf_counter() - started)


class PreloadingLocalExecutor(LocalExecutor):
    """The LocalExecutor, its worker processes forked with GX already imported."""

    def start(self) -> None:
        preload()
        super().start()


def __getattr__(name: str) -> Any:
    # Lazy: the Celery provider is in the deployment's image, not in the embedded environment.
    if name == "CELERY_CONFIG":
        from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG
        from celery.signals import worker_init

        worker_init.connect(preload, weak=False, dispatch_uid="govlake-preload-gx")
        return DEFAULT_CELERY_CONFIG
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
