"""What several benchmarks share: a ``--name value`` option read from argv, and a free port."""

from __future__ import annotations

import socket
import sys


def arg(name: str, default: str) -> str:
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
