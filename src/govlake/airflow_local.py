"""Airflow on SQLite: the embedded default that ``govlake run``, ``govlake airflow`` and the tests
use. This module is the one place that knows the embedded Airflow configuration.

The same DAG files run unchanged under the scaled deployment (docker-compose: Postgres +
CeleryExecutor); only the environment differs.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from govlake.settings import PROJECT_ROOT

DAGS_FOLDER = PROJECT_ROOT / "dags"
DEFAULT_PORT = 8080
# What `govlake airflow` starts, with their arguments. No triggerer: no govlake task defers.
# No log server: it would listen on every interface at a fixed port (8793), and the API server
# reads task logs from the same local folder anyway.
COMPONENTS = {
    "api-server": ["api-server"],
    "scheduler": ["scheduler", "--skip-serve-logs"],
    "dag-processor": ["dag-processor"],
}
# How often the DAG processor re-parses a file: the DAGs are generated from the register, so a
# resource added to it shows up on the next parse of the unchanged DAG file.
REPARSE_SECONDS = 30


def configure(airflow_home: Path, port: int = DEFAULT_PORT, *, serving: bool = False) -> None:
    """Point Airflow at a local home, SQLite and the project's dags/ (before airflow is imported).

    Environment variables already set win, as everywhere in govlake. The embedded mode is for
    one engineer on one machine: the API server listens on 127.0.0.1 only and the simple auth
    manager lets everyone in as admin, so there is no password to find. ``serving`` (the UI and
    its components) logs at INFO, so task logs say what the task did; in-process runs stay quiet.
    """
    # Airflow's own standard provider (the sensor decorator) imports a name Airflow deprecated;
    # the warning is logged to stdout, where it is noise in `govlake run` and breaks the airflow
    # CLI's `--output json`.
    warnings.filterwarnings("ignore", message=r"The `airflow\.utils\.operator_helpers\.")
    home = Path(os.environ.setdefault("AIRFLOW_HOME", str(airflow_home)))
    home.mkdir(parents=True, exist_ok=True)
    defaults = {
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO" if serving else "WARNING",
        # Airflow 3 has no SequentialExecutor; LocalExecutor works on SQLite (WAL mode). Two task
        # slots for two cores: every task runs DuckDB on all cores anyway, and LocalExecutor
        # forks one worker process per slot, with Great Expectations already imported.
        "AIRFLOW__CORE__EXECUTOR": "govlake.airflow_workers.PreloadingLocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": "2",
        "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
        "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": str(REPARSE_SECONDS),
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": str(REPARSE_SECONDS),
        "AIRFLOW__CORE__AUTH_MANAGER": (
            "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
        ),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        # an interactive run waits briefly for incomplete deliveries (docs/delivery.md), not
        # the scheduler's hour: what is still incomplete is left for the next run
        "GOVLAKE_DELIVERY_POKE_SECONDS": "5",
        "GOVLAKE_DELIVERY_WAIT_SECONDS": "30",
    }
    for key, value in defaults.items():
        os.environ.setdefault(key, value)
    from govlake.settings import get_settings

    get_settings.cache_clear()  # the DAG files read these when parsed
    # Signing keys shared by every component; kept in the home so UI sessions survive a restart.
    for key in ("AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW__API__SECRET_KEY"):
        if key not in os.environ:
            os.environ[key] = _secret(home / ".secrets" / key.lower())


def _secret(path: Path) -> str:
    """A random key created once (0600), like the lake's pseudonym key."""
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
        os.replace(tmp, path)
    return path.read_text().strip()


def migrate() -> None:
    """Create or upgrade the metadata database (idempotent)."""
    from airflow.utils import db

    db.initdb()


def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS_FOLDER))


def sync_dags() -> dict[str, str]:
    """Parse the DAG bundles now and store the result, as the DAG processor would.

    ``airflow dags list`` and the UI read serialised DAGs from the database; without this, a
    resource added to the register has no DAG there until a DAG processor has run.
    Returns the import errors by file.
    """
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import BundleDagBag, sync_bag_to_db
    from airflow.utils.session import create_session

    manager = DagBundlesManager()
    with create_session() as session:
        manager.sync_bundles_to_db(session=session)
    errors: dict[str, str] = {}
    for bundle in manager.get_all_dag_bundles():
        bundle.initialize()
        bag = BundleDagBag(bundle.path, bundle_path=bundle.path, bundle_name=bundle.name)
        errors.update(bag.import_errors)
        with create_session() as session:
            sync_bag_to_db(bag, bundle.name, bundle.get_current_version(), session=session)
    return errors


def cli(args: list[str]) -> int:
    """Run an ``airflow`` CLI command in this environment: database migrated, DAGs current."""
    warnings.filterwarnings("ignore", message="Could not import graphviz")
    migrate()
    # A file that fails to import is reported as "Error loading DAG from <file>: <reason>";
    # the parser's traceback on top would bury the register's own message.
    logging.getLogger("airflow.dag_processing.importers").setLevel(logging.CRITICAL)
    sync_dags()
    from airflow.__main__ import main

    sys.argv = ["airflow", *args]
    try:
        main()
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


class AirflowServerError(RuntimeError):
    """A component exited or never became healthy."""


def url() -> str:
    """Where the UI and the REST API answer (after ``configure``)."""
    host = os.environ["AIRFLOW__API__HOST"]
    host = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
    return f"http://{host}:{os.environ['AIRFLOW__API__PORT']}"


def login_help() -> str:
    """How to log in to the UI with the configuration in effect."""
    if os.environ.get("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS", "").lower() == "true":
        return "none needed, every visitor is admin (simple auth manager, embedded mode only)"
    passwords = Path(os.environ["AIRFLOW_HOME"]) / "simple_auth_manager_passwords.json.generated"
    return (
        "users from AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS; their generated passwords are in "
        f"{passwords}"
    )


def health() -> dict:
    """The API server's /api/v2/monitor/health, or {} while it is not answering."""
    try:
        with urllib.request.urlopen(f"{url()}/api/v2/monitor/health", timeout=2) as response:
            return json.load(response)
    except (OSError, ValueError):
        return {}


def is_healthy(status: dict) -> bool:
    parts = ("metadatabase", "scheduler", "dag_processor")
    return all(status.get(p, {}).get("status") == "healthy" for p in parts)


def serve(*, on_ready: Callable[[], None] = lambda: None, ready_timeout: float = 180) -> None:
    """Migrate the database, then run the API server (with the UI), scheduler and DAG processor
    until SIGINT or SIGTERM.

    Call after ``configure``. This process never imports Airflow: it starts the components and
    waits. Each writes to ``$AIRFLOW_HOME/logs/<component>.log`` and runs in its own process
    group, so stopping it also stops the processes it forked (LocalExecutor workers, parsing
    processes). Raises ``AirflowServerError`` if the migration fails, a component exits on its
    own, or the components are not healthy in time.
    """
    host, port = os.environ["AIRFLOW__API__HOST"], int(os.environ["AIRFLOW__API__PORT"])
    if not _can_listen(host, port):  # else the health check could be answered by someone else
        raise AirflowServerError(f"port {port} on {host} is in use: choose another with --port")
    env = dict(os.environ)
    bin_dir = str(Path(sys.executable).parent)  # Airflow starts `airflow …` subprocesses by name
    env["PATH"] = os.pathsep.join([bin_dir, env.get("PATH", "")])
    processes: dict[str, subprocess.Popen] = {}

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    # Also when started in the background, where a shell leaves SIGINT ignored.
    previous = {s: signal.signal(s, interrupt) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        # `airflow db migrate` also writes airflow.cfg once, before three components could race.
        migration = _start("db-migrate", ["db", "migrate"], env)
        processes["db-migrate"] = migration
        if migration.wait() != 0:
            raise AirflowServerError(_exited("db-migrate", migration.returncode))
        del processes["db-migrate"]
        for name, args in COMPONENTS.items():
            processes[name] = _start(name, args, env)
        deadline = time.monotonic() + ready_timeout
        ready = False
        while True:
            if exited := [n for n, p in processes.items() if p.poll() is not None]:
                raise AirflowServerError(
                    "\n".join(_exited(n, processes[n].returncode) for n in exited)
                )
            if not ready:
                if is_healthy(health()):
                    ready = True
                    on_ready()
                elif time.monotonic() > deadline:
                    status = health() or "no answer"
                    raise AirflowServerError(f"not healthy in {ready_timeout:.0f} s: {status}")
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        stop(list(processes.values()))


def _can_listen(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _start(name: str, airflow_args: list[str], env: dict[str, str]) -> subprocess.Popen:
    """``airflow <airflow_args>`` in its own process group, output to its log file."""
    log_path = component_log(name)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "govlake.airflow_local", *airflow_args],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches govlake only, which stops them in turn
        )


def _exited(name: str, code: int | None) -> str:
    return f"{name} exited ({code}); {component_log(name)} ends:\n{_tail(component_log(name))}"


def component_log(name: str) -> Path:
    return Path(os.environ["AIRFLOW_HOME"]) / "logs" / f"{name}.log"


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def stop(processes: list[subprocess.Popen], grace: float = 10) -> None:
    """SIGTERM each component, give them ``grace`` seconds, then SIGKILL whatever is left in
    their process groups. A task still running is killed with them: each task overwrites its
    own partition when rerun, so a killed task is safe to run again."""
    for p in processes:
        with contextlib.suppress(ProcessLookupError):
            p.terminate()
    deadline = time.monotonic() + grace
    for p in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
    for p in processes:  # leaders still finalising, and children a leader left behind
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGKILL)
    for p in processes:
        p.wait()


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


def _component(argv: list[str]) -> None:
    """An ``airflow`` command in this process: ``python -m govlake.airflow_local scheduler``.

    Freezing the heap once a component has shut down spares the interpreter's final garbage
    collection of everything Airflow imported, which took far longer than the shutdown itself.
    """
    import gc

    from airflow.__main__ import main

    sys.argv = ["airflow", *argv]
    try:
        main()
    finally:
        gc.freeze()


if __name__ == "__main__":
    _component(sys.argv[1:])
