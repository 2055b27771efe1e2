"""One local CKAN portal per test session (the ``ckan_portal`` fixture in conftest.py).

Each session's portal lives in its own folder under ``<tmp>/govlake-test-portals-<uid>/``, named
for the pytest process; a session that was killed outright leaves its PostgreSQL, Redis and CKAN
running, so the next session stops them and removes their folder first. The CKAN virtualenv is
the project's ``.venv-ckan``, shared by every session (installed on first use).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

from govlake.publish.portal import Portal, PortalInfo, orphaned_data, pid_alive, remove_data


def portals_root() -> Path:
    root = Path(tempfile.gettempdir()) / f"govlake-test-portals-{os.getuid()}"
    root.mkdir(mode=0o711, exist_ok=True)  # nobody (PostgreSQL) passes through
    return root


def sweep(root: Path) -> list[Path]:
    """Stop and remove the portals of sessions whose pytest process is gone."""
    removed = []
    for home in root.iterdir():
        owner = home.name.split("-", 1)[0]
        if not owner.isdigit() or pid_alive(int(owner)):
            continue
        Portal(home).remove()
        removed.append(home)
    for pgdata in orphaned_data():  # as root, a home nobody could enter keeps its data elsewhere
        remove_data(pgdata)
        removed.append(pgdata)
    return removed


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def session_portal() -> Iterator[PortalInfo]:
    root = portals_root()
    sweep(root)
    home = root / f"{os.getpid()}-{secrets.token_hex(4)}"
    portal = Portal(home, port=free_port())
    try:
        yield portal.start()
    finally:
        portal.remove()
