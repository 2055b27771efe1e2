"""``govlake airflow``: Airflow's own UI and CLI on the embedded configuration, as real
subprocesses in a temporary Airflow home and lake. The expected DAGs come from the register:
one ``ingest__<resource>`` per resource, plus ``build``."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from govlake.register import RegisterError, load_register

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[1]
GOVLAKE = Path(sys.executable).parent / "govlake"


def expected_dags(register_dir: Path) -> set[str]:
    return {f"ingest__{r}" for r in load_register(register_dir).resources} | {
        "build",
        "catalogue",
        "exchange",
        "publish",
    }


def govlake_env(tmp_path: Path, register_dir: Path = ROOT / "catalog") -> dict[str, str]:
    """This test process's environment minus the in-process Airflow settings of conftest."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env |= {
        "GOVLAKE_AIRFLOW_HOME": str(tmp_path / "airflow"),
        "GOVLAKE_LAKE_ROOT": str(tmp_path / "lake"),
        "GOVLAKE_REGISTER_DIR": str(register_dir),
        "GOVLAKE_HMAC_KEY": "test-key-not-secret",
    }
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url: str, token: str | None = None) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5) as r:
        return json.load(r)


def send_json(url: str, token: str, method: str, body: dict) -> dict:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as r:
        return json.load(r)


def test_ui_serves_every_dag_runs_a_gate_and_stops_cleanly(tmp_path: Path) -> None:
    """The embedded Airflow serves every DAG, its scheduler runs one ingest DAG with the gate's
    Great Expectations preloaded by the worker (not imported by the task), and Ctrl-C stops it
    all."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = (tmp_path / "govlake-airflow.log").open("w")
    proc = subprocess.Popen(
        [GOVLAKE, "airflow", "--port", str(port)],
        env=govlake_env(tmp_path),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    components: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 150
        health: dict = {}
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                health = get_json(f"{base}/api/v2/monitor/health")
            except (OSError, ValueError):
                health = {}
            if all(
                health.get(c, {}).get("status") == "healthy"
                for c in ("metadatabase", "scheduler", "dag_processor")
            ):
                break
            time.sleep(1)
        else:
            pytest.fail(f"not healthy: {health}\n{(tmp_path / 'govlake-airflow.log').read_text()}")

        # A JWT from the simple auth manager: without a password, because the embedded mode
        # makes everyone admin (GET /auth/token answers 403 otherwise).
        with urllib.request.urlopen(f"{base}/auth/token", timeout=5) as r:
            token = json.load(r)["access_token"]

        want = expected_dags(ROOT / "catalog")
        seen: set[str] = set()
        while time.monotonic() < deadline and seen != want:  # the DAG processor's first parse
            listing = get_json(f"{base}/api/v2/dags?limit=1000", token)
            seen = {d["dag_id"] for d in listing["dags"]}
            time.sleep(1)
        assert seen == want
        assert listing["total_entries"] == len(want)

        components = psutil.Process(proc.pid).children(recursive=True)
        commands = [_command(p) for p in components]
        for names in (("api-server", "api_server"), ("scheduler",), ("dag-processor",)):
            assert any(n in c for c in commands for n in names), commands
        # Three components, two LocalExecutor slots, at most a parsing process or two: not the
        # dozens that Airflow's default parallelism forks.
        assert len(components) <= 3 + 2 + 2, commands

        _run_a_gate(base, token, tmp_path)
    finally:
        proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:  # leave nothing behind, then fail below
            for p in psutil.Process(proc.pid).children(recursive=True):
                p.kill()
            proc.kill()
            proc.wait()
        log.close()
    output = (tmp_path / "govlake-airflow.log").read_text()
    assert proc.returncode == 0, output
    assert f"Airflow UI: {base}/" in output and "Airflow stopped" in output
    _, alive = psutil.wait_procs(components, timeout=5)
    assert alive == [], [p.cmdline() for p in alive]
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def _run_a_gate(base: str, token: str, tmp_path: Path) -> None:
    """A tiny delivery of one resource, ingested and gated by the scheduler's own run."""
    env = govlake_env(tmp_path)
    subprocess.run([GOVLAKE, "sample", "--scale", "tiny"], env=env, check=True, timeout=300)
    resource = sorted(load_register(ROOT / "catalog").resources)[0]
    dag = f"{base}/api/v2/dags/ingest__{resource}"
    send_json(dag, token, "PATCH", {"is_paused": False})
    run = send_json(f"{dag}/dagRuns", token, "POST", {"logical_date": None})
    deadline = time.monotonic() + 240
    while run["state"] not in ("success", "failed") and time.monotonic() < deadline:
        time.sleep(2)
        with contextlib.suppress(OSError):  # SQLite busy under a running task: ask again
            run = get_json(f"{dag}/dagRuns/{run['dag_run_id']}", token)
    logs = Path(env["GOVLAKE_AIRFLOW_HOME"]) / "logs" / f"dag_id=ingest__{resource}"
    gate = "".join(p.read_text() for p in logs.rglob("task_id=quality_gate/*.log"))
    assert run["state"] == "success", (run, gate)
    assert "Great Expectations preloaded by the worker" in gate, gate


def _command(process: psutil.Process) -> str:
    try:
        return " ".join(process.cmdline())
    except psutil.NoSuchProcess:  # a short-lived parsing process
        return ""


def _list_dags(tmp_path: Path, register_dir: Path) -> set[str]:
    result = subprocess.run(
        [GOVLAKE, "airflow", "--", "dags", "list", "--output", "json"],
        env=govlake_env(tmp_path, register_dir),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return {d["dag_id"] for d in json.loads(result.stdout)}


def test_cli_lists_every_dag_and_picks_up_a_new_resource(tmp_path: Path) -> None:
    """On a fresh home (no database yet) `dags list` works; after a department file is added to
    the register, its resources' DAGs are listed at once, with no manual re-serialisation."""
    register = tmp_path / "catalog"
    shutil.copytree(ROOT / "catalog", register)
    full = expected_dags(register)
    held = tmp_path / "held-back"
    held.mkdir()
    for department in sorted((register / "departments").glob("*.yml")):
        department.rename(held / department.name)
        try:
            smaller = expected_dags(register)
            break
        except RegisterError:  # other departments refer to it: try the next one
            (held / department.name).rename(department)
    else:
        pytest.fail("no department can be left out of the register")
    assert smaller < full

    assert _list_dags(tmp_path, register) == smaller
    (held / department.name).rename(department)  # the department is onboarded
    assert _list_dags(tmp_path, register) == full
