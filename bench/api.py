"""The exchange read API under load: a real ``govlake api`` process (uvicorn) on loopback.

Data: the district lake of ``bench/exchange.py`` / ``bench/site.py`` (made here when missing).
Each run starts from an empty exchange with the sample activity recorded, adds one grant of all
district persons (``registered_person``: 570k rows, citizen ID as the grantee's pseudonym) and
makes tokens. Then, against one server process:

- pages: N concurrent clients (a closed loop: each waits for its answer before asking again)
  read 100-row pages of a granted resource, following cursors and starting over at the end,
  for a fixed time; latency percentiles and requests/s (the department resource, then the
  derived one). The clients are lean (raw asyncio protocol, keep-alive, the cursor read from
  the body's end) so that they cost far less CPU per call than the server: httpx clients cost
  ~0.35 core at ~50 calls/s and could not drive the target rate on the shared 2 cores;
- bulk: one client streams all district persons as Arrow; the floor is a plain DuckDB query
  of the same rows (no scope, no pseudonyms, no HTTP) in the same run;
- where the time goes: the handler's own time (the ``duration_ms`` the audit records, before the
  audit append) against the client's latency, and the audit append alone (lock + fsync).
Writes its section of RESULTS.md.
Usage: ``.venv/bin/python bench/api.py [--clients 50] [--seconds 20]``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from options import arg, free_port
from results_md import write_section

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from exchange import DATA, KEY, _seed, built_lake  # noqa: E402

GRANT_ALL = """
import datetime as dt
from govlake.exchange import load_rules
from govlake.exchange.state import Exchange, today
from govlake.exchange.tokens import create_token
from govlake.lake import Lake
lake = Lake.default()
ex = Exchange(load_rules(), lake)
until = (today() + dt.timedelta(days=30)).isoformat()
req = ex.request("statistics", "registered_person", purpose="人口抽样框（基准测试）",
                 legal_basis="statistics_law", until=until,
                 columns=["citizen_id", "sex", "birth_date", "street_code"], by="bench")
ex.approve(req.id, "police", reason="bench", by="bench")
grants = {(g.grantee, g.resource): g.id for g in ex.state().grants.values()}
out = {}
for who, res in (("civil_affairs", "registered_person"), ("health", "base_person"),
                 ("statistics", "registered_person")):
    out[f"{who}/{res}"] = create_token(lake, grants[(who, res)], who)[0]
print(__import__("json").dumps(out))
"""


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


class _Conn(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection of a lean closed-loop client: the request bytes are
    built once but for the cursor, the answer is framed by its Content-Length and its
    ``next_cursor`` found from the end of the body; every ``check``-th answer is parsed whole
    and its rows counted (so the client costs far less CPU per call than the server)."""

    def __init__(self) -> None:
        self.buf = bytearray()
        self.need: int | None = None  # bytes of the whole answer, once its head is in
        self.status = 0
        self.done: asyncio.Future | None = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        if self.done is not None and not self.done.done():
            self.done.set_exception(ConnectionResetError("connection closed"))

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if self.need is None:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buf[:end]).lower()
            self.status = int(head[9:12])
            at = head.find(b"\r\ncontent-length:")
            assert at >= 0, head  # the API answers pages with a Content-Length
            length = int(head[at + 17 : head.find(b"\r\n", at + 17)])
            self.need, self.start = end + 4 + length, end + 4
        if len(self.buf) >= self.need and self.done is not None:
            body = bytes(self.buf[self.start : self.need])
            del self.buf[: self.need]
            self.need = None
            self.done.set_result((self.status, body))

    async def get(self, request: bytes) -> tuple[int, bytes]:
        self.done = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return await self.done


def _next_cursor(body: bytes) -> str | None:
    """``next_cursor`` of a JSON page: the body's last member, read from its end."""
    at = body.rfind(b'"next_cursor":')
    value = body[at + 14 :].rstrip(b"} \n").strip()
    return None if value == b"null" else value.strip(b'"').decode()


async def _pages(
    base: str, token: str, resource: str, clients: int, start: float, seconds: float,
    pace: float | None, check: int = 20,
) -> dict:  # fmt: skip
    """``clients`` closed-loop clients (each waits for its answer before asking again; with
    ``pace``, also until ``pace`` s after its previous request began) from ``start`` (wall
    clock) for ``seconds``: each latency, this process's CPU seconds, and the rows counted in
    the answers parsed whole (every ``check``-th, each must hold 100 rows but the last)."""
    host, port = base.removeprefix("http://").split(":")
    prefix = (f"GET /v1/resources/{resource}?limit=100").encode()
    suffix = (f" HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
              "\r\n").encode()  # fmt: skip
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    errors: list[str] = []
    resets: list[int] = []
    checked = [0, 0]  # answers parsed whole, rows in them

    async def connect() -> _Conn:
        return (await loop.create_connection(_Conn, host, int(port)))[1]

    conns = [await connect() for _ in range(clients)]
    await asyncio.sleep(max(0.0, start - time.time()))
    stop = time.perf_counter() + seconds
    cpu = time.process_time()

    async def one(n: int) -> None:
        conn, cursor, count = conns[n], None, 0
        if pace:  # spread the paced clients over one period
            await asyncio.sleep(pace * n / clients)
        while time.perf_counter() < stop:
            request = prefix + (b"&cursor=" + cursor.encode() if cursor else b"") + suffix
            t0 = time.perf_counter()
            try:
                status, body = await conn.get(request)
            except ConnectionResetError:  # a dropped keep-alive connection: counted, again
                resets.append(1)
                conn = conns[n] = await connect()
                continue
            latencies.append(time.perf_counter() - t0)
            if status != 200:
                errors.append(f"{status} {body[:200]!r}")
                return
            cursor = _next_cursor(body)
            count += 1
            if count % check == 0:
                page = json.loads(body)
                assert page["next_cursor"] == cursor and page["resource"] == resource
                assert len(page["rows"]) == 100 or cursor is None, len(page["rows"])
                checked[0], checked[1] = checked[0] + 1, checked[1] + len(page["rows"])
            if pace:
                await asyncio.sleep(max(0.0, t0 + pace - time.perf_counter()))

    await asyncio.gather(*(one(n) for n in range(clients)))
    cpu = time.process_time() - cpu
    for conn in conns:
        conn.transport.close()
    assert not errors, errors[:3]
    return {"latencies": latencies, "cpu": cpu, "resets": len(resets), "checked": checked}


def _client_process(args: tuple) -> dict:
    import uvloop

    return uvloop.run(_pages(*args))


def _load(
    base: str, token: str, resource: str, clients: int, procs: int, seconds: float,
    pace: float | None = None,
) -> dict:  # fmt: skip
    """The clients split over ``procs`` client processes (so the client's CPU is its own, not
    the server's), all starting at one wall-clock instant."""
    import multiprocessing as mp

    shares = [clients // procs + (1 if i < clients % procs else 0) for i in range(procs)]
    start = time.time() + 3  # time for the processes to start and connect
    with mp.get_context("spawn").Pool(procs) as pool:
        got = pool.map(
            _client_process,
            [(base, token, resource, n, start, seconds, pace) for n in shares],
        )
    latencies = [x for g in got for x in g["latencies"]]
    return {
        "requests": len(latencies),
        "rps": len(latencies) / seconds,
        "client_cpu": sum(g["cpu"] for g in got) / seconds,
        "resets": sum(g["resets"] for g in got),
        "checked": sum(g["checked"][0] for g in got),
        "checked_rows": sum(g["checked"][1] for g in got),
        **{f"p{p}": _pct(latencies, p) * 1000 for p in (50, 95, 99)},
    }


def _bulk(base: str, token: str) -> dict:
    import httpx
    import pyarrow as pa
    import pyarrow.ipc as ipc

    t0 = time.perf_counter()
    with httpx.stream(
        "GET", f"{base}/v1/resources/registered_person",
        params={"format": "arrow", "limit": 10_000_000},
        headers={"Authorization": f"Bearer {token}"}, timeout=120,
    ) as r:  # fmt: skip
        assert r.status_code == 200, r.read()[:300]
        reader = ipc.open_stream(pa.PythonFile(_Chunks(r.iter_bytes(1 << 20)), mode="r"))
        table = reader.read_all()
    return {"seconds": time.perf_counter() - t0, "rows": table.num_rows}


class _Chunks:
    """A file-like over an iterator of bytes (for Arrow's stream reader)."""

    def __init__(self, chunks: Any) -> None:
        self.chunks, self.buf, self.closed = iter(chunks), b"", False

    def read(self, n: int = -1) -> bytes:
        while n < 0 or len(self.buf) < n:
            try:
                self.buf += next(self.chunks)
            except StopIteration:
                break
        n = len(self.buf) if n < 0 else n
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def readable(self) -> bool:
        return True


def _floor(lake: Path) -> dict:
    import duckdb

    parts = sorted((lake / "accepted" / "registered_person").glob("batch_date=*/*.parquet"))
    files = ", ".join(f"'{p}'" for p in parts)
    con = duckdb.connect()
    t0 = time.perf_counter()
    table = con.execute(
        "select citizen_id_key, sex, birth_date, street_code from "
        f"read_parquet([{files}]) order by _source_row"
    ).to_arrow_table()
    return {"seconds": time.perf_counter() - t0, "rows": table.num_rows}


def _audit_cost(runs: int = 200) -> float:
    """ms per audit append (lock, tail, write + fsync, head), in a scratch lake."""
    import tempfile

    from govlake.exchange import log
    from govlake.lake import Lake

    with tempfile.TemporaryDirectory(dir=HERE / "_data") as tmp:
        lake = Lake(Path(tmp))
        t0 = time.perf_counter()
        for n in range(runs):
            with log.locked(lake):
                log.append(lake, "api_call", "bench", n=n, path="/v1/resources/x", rows=100)
        return (time.perf_counter() - t0) / runs * 1000


def _handler_ms(lake: Path, since: int) -> dict[str, float]:
    ms: dict[str, list[float]] = {}
    with (lake / "exchange" / "_log" / "exchange.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            e = json.loads(line)
            if e["kind"] == "api_call" and e["seq"] > since and e["status"] == 200:
                ms.setdefault(e["resource"], []).append(e["duration_ms"])
    return {k: statistics.median(v) for k, v in ms.items()}


def _log_count(lake: Path) -> int:
    head = lake / "exchange" / "_log" / "head.json"
    return json.loads(head.read_text())["count"] if head.exists() else 0


def _server_cpu(pid: int) -> float:
    """CPU seconds of the server and its worker processes so far."""
    import psutil

    procs = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    return sum(sum(p.cpu_times()[:2]) for p in procs)


def _serve(env: dict, lake: Path, tokens: dict, workers: int, clients: int, procs: int,
           seconds: float) -> dict:  # fmt: skip
    """One server (``workers`` uvicorn processes) under each load; stopped at the end."""
    import httpx

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    govlake = Path(sys.executable).with_name("govlake")
    errlog_path = HERE / "_data" / "api-server.log"
    errlog = errlog_path.open("wb")
    server = subprocess.Popen(
        [str(govlake), "api", "--port", str(port), "--workers", str(workers)], env=env,
        stdout=subprocess.DEVNULL, stderr=errlog,
    )  # fmt: skip
    out: dict[str, Any] = {"workers": workers}
    try:
        t0 = time.perf_counter()
        while True:
            try:
                httpx.get(f"{base}/docs", timeout=1)
                break
            except httpx.HTTPError:
                assert server.poll() is None, errlog_path.read_text()[-2000:]
                assert time.perf_counter() - t0 < 90, "server did not start"
                time.sleep(0.2)
        out["started"] = time.perf_counter() - t0
        # the first pages: the department version's build (unless the warm-up thread has
        # done it), the warehouse connection, each grant's cached answer (per worker)
        t0 = time.perf_counter()
        for _ in range(2 * workers):
            for who in ("civil_affairs/registered_person", "health/base_person"):
                r = httpx.get(
                    f"{base}/v1/resources/{who.split('/')[1]}", params={"limit": 100},
                    headers={"Authorization": f"Bearer {tokens[who]}"}, timeout=120,
                )  # fmt: skip
                assert r.status_code == 200, r.text
        out["first"] = time.perf_counter() - t0
        out["load"] = os.getloadavg()[0]
        since = _log_count(lake)
        runs = []
        for who, pace in (("civil_affairs/registered_person", None),
                          ("health/base_person", None),
                          ("civil_affairs/registered_person", 0.1)):  # fmt: skip
            res = who.split("/")[1]
            cpu = _server_cpu(server.pid)
            got = _load(base, tokens[who], res, clients, procs, seconds, pace)
            got["server_ms"] = (_server_cpu(server.pid) - cpu) / got["requests"] * 1000
            runs.append({"resource": res, "pace": pace, **got})
            print(workers, res, pace, {k: round(v, 1) for k, v in got.items()}, flush=True)
        out["pages"] = runs
        out["handler"] = _handler_ms(lake, since)
        bulk = [_bulk(base, tokens["statistics/registered_person"]) for _ in range(4)]
        out["bulk"] = bulk
        print(workers, "bulk", bulk, flush=True)
    finally:
        server.terminate()
        server.wait(20)
        errlog.close()
    out["load_end"] = os.getloadavg()[0]
    return out


def fresh_exchange(lake: Path, env: dict[str, str]) -> dict:
    """The lake's exchange from scratch: the sample activity, then a grant and token for every
    bench resource; the tokens."""
    shutil.rmtree(lake / "exchange", ignore_errors=True)
    _seed(env)
    out = subprocess.run([sys.executable, "-c", GRANT_ALL], env=env, check=True,
                         capture_output=True, text=True).stdout  # fmt: skip
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    clients = int(arg("--clients", "50"))
    seconds = float(arg("--seconds", "20"))
    procs = int(arg("--client-procs", "2"))
    worker_counts = [int(w) for w in arg("--workers", "1,2").split(",")]
    scale = "district"
    lake = DATA / scale / "lake"
    env = os.environ | {"GOVLAKE_LAKE_ROOT": str(lake), "GOVLAKE_HMAC_KEY": KEY,
                        "GOVLAKE_API_CALLS_PER_MINUTE": "1000000"}  # fmt: skip
    built_lake(lake, env, scale)
    tokens = fresh_exchange(lake, env)
    servers = [_serve(env, lake, tokens, w, clients, procs, seconds) for w in worker_counts]
    from govlake.exchange import log
    from govlake.lake import Lake

    verdict = log.verify(Lake(lake))
    assert verdict.ok, verdict.reason
    floor = [_floor(lake) for _ in range(3)]
    audit_ms = _audit_cost()
    floor_s = statistics.median(f["seconds"] for f in floor)
    rows, bulks, setup = [], [], []
    for srv in servers:
        w = srv["workers"]
        for p in srv["pages"]:
            model = "closed loop" if p["pace"] is None else f"paced 1 per {p['pace'] * 1000:g} ms"
            rows.append(
                f"| {w} | {p['resource']} | {model} | {p['requests']:,} | {p['rps']:.0f} | "
                f"{p['p50']:.1f} | {p['p95']:.1f} | {p['p99']:.1f} | "
                f"{srv['handler'].get(p['resource'], float('nan')):.1f} | "
                f"{p['server_ms']:.1f} | {p['client_cpu']:.2f} | {p['resets']} |"
            )
        warm = statistics.median(b["seconds"] for b in srv["bulk"][1:])
        bulks.append(f"| {w} | {srv['bulk'][0]['seconds']:.2f} | **{warm:.2f}** | {floor_s:.2f} |")
        setup.append(
            f"{w} worker(s): ready in {srv['started']:.1f} s, first pages {srv['first']:.2f} s, "
            f"1-min load average {srv['load']:.1f} before the load and {srv['load_end']:.1f} "
            "after it"
        )
    checked = sum(p["checked"] for srv in servers for p in srv["pages"])
    checked_rows = sum(p["checked_rows"] for srv in servers for p in srv["pages"])
    body = f"""## Exchange read API under load (`bench/api.py`)

Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores (CPython \
{platform.python_version()}), other helpers' work sharing the machine: {"; ".join(setup)}. \
`govlake api --workers N` (uvicorn on uvloop + httptools) on loopback over the district lake of \
`bench/exchange.py`, the sample grants plus one of all `registered_person` rows. The first pages \
build, per worker, the department version's DuckDB table (unless the start-up warm-up has) and \
each grant's cached answer (the grant's scope of the whole version, projected and pseudonymised \
once). The audit log's chain was verified after all runs ({verdict.entries:,} entries).

**Pages**: {clients} clients in {procs} client processes, separate from the server's: a lean \
client (`bench/api.py` `_Conn`: asyncio protocol on uvloop, one keep-alive connection per client, \
request bytes built once, answers framed by Content-Length, `next_cursor` read from the body's \
end; every 20th answer parsed whole and its rows counted: {checked:,} answers, {checked_rows:,} \
rows, each 100 but a last page); {seconds:g} s per run, 100-row JSON pages following \
`next_cursor`. *Closed loop* (the \
issue's target model): each client sends its next request as soon as its answer arrives, so \
latency ≈ clients / throughput. *Paced*: each client also waits until 100 ms after its previous \
request began (offered load at most {clients * 10:,} req/s). Latency in ms measured by the \
client; *handler*: median `duration_ms` of the audit entries (the server's work before the \
audit append); *server ms*: ms of CPU the server processes spent per request (all threads:
HTTP, handler, audit writer); *client*: cores the client processes used; *N*: workers;
*resent*: requests that failed on a dropped connection and were sent again (not in the
latencies).

| N | resource | load | calls | req/s | p50 | p95 | p99 | handler | server ms | client | resent |
|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|
{chr(10).join(rows)}

Target p95 < 50 ms (closed loop, 50 clients): that needs ~1,000 req/s on 2 cores shared with \
the client processes.

**Audit**: one append alone (lock file, read the tail, `write` + `fsync`, head written aside and \
renamed) costs {audit_ms:.1f} ms here; the API group-commits (one writer thread per worker: each \
answer waits for the fsync of the batch holding its own entry).

**Bulk**: all {servers[0]["bulk"][0]["rows"]:,} district persons (`registered_person`, citizen \
ID as the grantee's pseudonym) as one streamed Arrow IPC answer \
(`format=arrow&limit=10000000`), in seconds: the first call (builds the grant's cached answer: \
the scoped query, HMAC re-keying of 570k pseudonyms) and the median of the next 3 (record \
batches sliced from the cached answer; with 2 workers a call may land on the worker that has \
not built it yet). Floor: the same rows and columns by a plain DuckDB query of the accepted \
Parquet in this process (no scope, no re-keying, no HTTP), median of 3. Target < 2 s.

| workers | first call | next calls | floor |
|---:|---:|---:|---:|
{chr(10).join(bulks)}
"""
    print(write_section("api", body))


if __name__ == "__main__":
    main()
