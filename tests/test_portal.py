"""The local portal's life: start, status, stop, restart with its data, recovery after a crash,
clear errors. These tests run their own portal (not the session's ``ckan_portal``, which other
tests rely on staying up); as root its home is inside a mode-700 folder, as in root's home, so
PostgreSQL (run as nobody) must get a data folder it can reach.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import time
from pathlib import Path

import ckanapi
import pytest
from portal_fixture import free_port, portals_root, sweep
from typer.testing import CliRunner

from govlake.publish.portal import Portal, PortalError, orphaned_data

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    locked = tmp_path_factory.mktemp("portal-home")
    locked.chmod(0o700)
    own = Portal(locked / "portal", port=free_port())
    yield own
    own.remove()


@pytest.fixture(scope="module")
def started(portal):
    return portal.start()


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"


def test_start_gives_a_working_portal_and_keeps_the_token_private(portal, started):
    assert started.url == portal.url
    client = ckanapi.RemoteCKAN(started.url, apikey=started.api_token)
    me = client.action.user_show(id=started.admin_user)
    assert me["sysadmin"] is True
    assert client.action.status_show()["ckan_version"] == "2.12.0"
    plugins = client.action.status_show()["extensions"]
    assert {"datastore", "datatables_view", "dcat", "govlake_pgsearch"} <= set(plugins)
    status = portal.status()
    assert status.running and status.url == started.url
    assert set(status.pids) == {"postgres", "redis", "ckan"}
    token_file = portal.home / "api_token"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    state = json.loads((portal.home / "portal.json").read_text())
    assert state["token_file"] == str(token_file)
    for path in [portal.home / "portal.json", *(portal.home / "logs").iterdir()]:
        assert started.api_token not in path.read_text(errors="replace"), path


def test_postgres_data_where_nobody_can_reach_it(portal, started):
    pgdata = Path(json.loads((portal.home / "portal.json").read_text())["pgdata"])
    assert (pgdata / "PG_VERSION").exists()
    if os.geteuid() == 0:  # the home sits in a mode-700 folder: the data had to go elsewhere
        assert not pgdata.is_relative_to(portal.home)
        assert pgdata.stat().st_uid == 65534
        postgres = portal.status().pids["postgres"]
        assert Path(f"/proc/{postgres}").stat().st_uid == 65534
    else:
        assert pgdata == portal.home / "pgdata"


def test_start_when_running_is_the_same_portal(portal, started):
    before = portal.status().pids
    again = portal.start()
    assert again == started
    assert portal.status().pids == before


def test_restart_keeps_datasets_and_their_search_index(portal, started):
    client = ckanapi.RemoteCKAN(started.url, apikey=started.api_token)
    client.action.organization_create(name="restart-org")
    client.action.package_create(
        name="survives-restart", title="重启后仍在", owner_org="restart-org"
    )
    pids = portal.status().pids
    portal.stop()
    assert not portal.status().running
    assert all(gone(pid) for pid in pids.values())
    portal.stop()  # idempotent
    again = portal.start()
    assert again.api_token == started.api_token  # the token is still valid
    client = ckanapi.RemoteCKAN(again.url, apikey=again.api_token)
    assert client.action.package_show(id="survives-restart")["title"] == "重启后仍在"
    found = client.action.package_search(q="重启后")
    assert [d["name"] for d in found["results"]] == ["survives-restart"]


def test_killed_portal_is_cleaned_up_on_start(portal, started):
    pids = portal.status().pids
    for pid in pids.values():
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while not all(gone(pid) for pid in pids.values()) and time.monotonic() < deadline:
        time.sleep(0.1)
    status = portal.status()
    assert not status.running
    assert set(status.problems) == {"postgres", "redis", "ckan"}  # stale pid records
    again = portal.start()
    assert portal.status().running
    client = ckanapi.RemoteCKAN(again.url, apikey=again.api_token)
    assert client.action.package_show(id="survives-restart")["name"] == "survives-restart"


def test_port_in_use_is_a_clear_error(portal, started):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        busy = Portal(portal.home.parent / "other", port=sock.getsockname()[1])
        with pytest.raises(PortalError, match=f"port {busy.port} .* in use"):
            busy.start()
    assert busy.status().pids == {}


def test_postgres_that_cannot_start_names_its_log(portal, started):
    portal.stop()
    pgdata = Path(json.loads((portal.home / "portal.json").read_text())["pgdata"])
    conf = pgdata / "postgresql.auto.conf"
    original = conf.read_bytes()
    conf.write_text("this is not = a valid setting at all\n")
    try:
        with pytest.raises(PortalError, match=r"postgres exited .* read .*postgres\.log"):
            portal.start()
        assert portal.status().pids == {}  # nothing left running
    finally:
        conf.write_bytes(original)
    assert portal.start() == started


def test_cli_status_and_stop(portal, started, monkeypatch):
    from govlake.cli import app
    from govlake.settings import get_settings

    monkeypatch.setenv("GOVLAKE_PORTAL_HOME", str(portal.home))
    monkeypatch.setenv("GOVLAKE_PORTAL_PORT", str(portal.port))
    get_settings.cache_clear()
    try:
        shown = CliRunner().invoke(app, ["portal", "status"])
        assert shown.exit_code == 0, shown.output
        assert f"url: {started.url}" in shown.output and "ckan: pid" in shown.output
        assert CliRunner().invoke(app, ["portal", "stop"]).exit_code == 0
        stopped = CliRunner().invoke(app, ["portal", "status"])
        assert stopped.exit_code == 1 and "running: no" in stopped.output
        begun = CliRunner().invoke(app, ["portal", "start"])
        assert begun.exit_code == 0, begun.output
        assert started.url in begun.output and started.admin_user in begun.output
        assert str(portal.home / "api_token") in begun.output
        assert started.api_token not in begun.output
    finally:
        get_settings.cache_clear()


def test_sweep_removes_only_portals_of_dead_sessions(tmp_path):
    dead = os.fork()
    if dead == 0:
        os._exit(0)
    os.waitpid(dead, 0)
    root = portals_root()
    stale = root / f"{dead}-test"
    mine = root / f"{os.getpid()}-test"
    for home in (stale, mine):
        (home / "logs").mkdir(parents=True)
    try:
        assert stale in sweep(root)
        assert not stale.exists() and mine.exists()
    finally:
        Portal(mine).remove()


def test_remove_stops_and_deletes_everything(portal, started):
    pgdata = Path(json.loads((portal.home / "portal.json").read_text())["pgdata"])
    pids = portal.status().pids
    portal.remove()
    assert all(gone(pid) for pid in pids.values())
    assert not portal.home.exists() and not pgdata.exists()
    assert pgdata not in orphaned_data()
