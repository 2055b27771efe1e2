"""Where the read API's CPU goes per cached-page call, without HTTP or client processes.

The app of ``create_app`` is called as ASGI in this process by ``--concurrency`` coroutines
(each follows ``next_cursor``, as ``bench/api.py``'s closed-loop clients do), over the lake of
``bench/api.py`` (made there; its exchange is reset here with the same sample activity and
grants). Prints the process's CPU (all threads: handler, audit writer) per call, and with
``--profile`` the event loop thread's cProfile (the audit writer thread is not in it).
Usage: ``.venv/bin/python bench/api_profile.py [--calls 2000] [--concurrency 50]
[--resource registered_person|base_person] [--profile]``.
"""

from __future__ import annotations

import asyncio
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from api import fresh_exchange  # noqa: E402
from exchange import DATA, KEY  # noqa: E402
from options import arg  # noqa: E402

WHO = {"registered_person": "civil_affairs", "base_person": "health"}


async def _call(app, path: str, query: bytes, token: str) -> tuple[int, bytes]:
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
        "query_string": query, "server": ("127.0.0.1", 8800), "client": ("127.0.0.1", 50000),
        "headers": [(b"host", b"127.0.0.1:8800"), (b"authorization", f"Bearer {token}".encode())],
    }  # fmt: skip
    status, body = 0, []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        else:
            body.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(body)


def _next_cursor(body: bytes) -> str | None:
    """The page's ``next_cursor`` (the last key of the JSON answer), found without parsing it."""
    at = body.rfind(b'"next_cursor":')
    assert at > 0, body[:300]
    value = body[at + 14 :].rstrip(b"}").strip()
    return None if value == b"null" else value.strip(b'"').decode()


async def _run(app, resource: str, token: str, calls: int, concurrency: int) -> None:
    left = [calls]

    async def client() -> None:
        cursor = None
        while left[0] > 0:
            left[0] -= 1
            query = b"limit=100" + (f"&cursor={cursor}".encode() if cursor else b"")
            status, body = await _call(app, f"/v1/resources/{resource}", query, token)
            assert status == 200, body[:300]
            cursor = _next_cursor(body)

    await asyncio.gather(*(client() for _ in range(concurrency)))


def _threads() -> dict[str, float]:
    """CPU seconds per thread of this process, by thread name (Linux /proc)."""
    import threading

    names = {t.native_id: t.name for t in threading.enumerate()}
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[str, float] = {}
    for task in Path("/proc/self/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # a thread that ended meanwhile
            continue
        name = names.get(int(task.name), "other (DuckDB, Arrow, ...)")
        out[name] = out.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return out


def main() -> None:
    calls = int(arg("--calls", "2000"))
    concurrency = int(arg("--concurrency", "50"))
    resource = arg("--resource", "registered_person")
    lake = DATA / "district" / "lake"
    assert (lake / "warehouse.duckdb").exists(), "make the lake first: bench/api.py"
    env = os.environ | {"GOVLAKE_LAKE_ROOT": str(lake), "GOVLAKE_HMAC_KEY": KEY,
                        "GOVLAKE_API_CALLS_PER_MINUTE": "1000000"}  # fmt: skip
    tokens = fresh_exchange(lake, env)
    os.environ.update(env)
    import uvloop

    from govlake.exchange.api import create_app, warm

    app = create_app()
    warm(app)
    token = tokens[f"{WHO[resource]}/{resource}"]
    asyncio.run(_call(app, f"/v1/resources/{resource}", b"limit=100", token))  # builds the cache
    uvloop.install()
    asyncio.run(_run(app, resource, token, 200, concurrency))  # warm
    profiler = cProfile.Profile() if "--profile" in sys.argv else None
    threads, cpu, wall = _threads(), time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    asyncio.run(_run(app, resource, token, calls, concurrency))
    if profiler:
        profiler.disable()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(f"{resource}: {calls} calls, {concurrency} at a time: {cpu / calls * 1000:.2f} ms CPU "
          f"per call, {calls / wall:.0f} calls/s (wall {wall:.1f} s)")  # fmt: skip
    after = _threads()
    audit = getattr(app.state, "audit", None)  # (code before the fast path: none)
    if audit is not None:
        print(f"  audit: {audit.entries / audit.batches:.1f} entries per fsync")
    for name, seconds in sorted(after.items(), key=lambda kv: -kv[1]):
        used = seconds - threads.get(name, 0.0)
        if used > 0:
            print(f"  thread {name}: {used / calls * 1000:.2f} ms per call")
    if profiler:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
