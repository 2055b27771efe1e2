"""The exchange read API (接口共享, issue #15): a grant's rows over HTTP, every call on the record.

A department system holding a token for a grant (``tokens.py``) reads the granted resource's
current version here, with exactly the scope a file delivery has: the grant's columns, its rows
(its conditions and the caller's filters are one ``where`` that DuckDB runs, values bound as
parameters), identifiers in clear only when granted and otherwise the grantee's pseudonym
(``deliver._project``). Paging is by key (a cursor), so a page is an index range and not an
offset scan; a cursor names the version it was cut from and is refused after a rebuild.

Every call, refused ones included, is an ``api_call`` entry in the exchange's hash-chained log
(who, token, grant, resource, filters, rows, columns, status), so ``audit --verify`` covers it.
The grant's state and the tokens are folded from the log on each call: a revocation takes effect
on the next call. The warehouse is opened read-only per call, so a build's swap is picked up
without a restart.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import json
import math
import time
from collections import deque
from typing import Annotated, Any, Literal

import pyarrow as pa
import pyarrow.compute as pc
from fastapi import FastAPI, HTTPException, Query, Request, Security
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from govlake.exchange import log
from govlake.exchange.deliver import (
    _project,
    _quote,
    _relation,
    _where,
    department_batches,
    grantee_key,
)
from govlake.exchange.rules import (
    ExchangeError,
    Rules,
    Shareable,
    check_rows,
    delivered_name,
    parse_condition,
)
from govlake.exchange.state import Grant, read_state, today
from govlake.exchange.tokens import Token, lookup
from govlake.lake import Lake, read_accepted
from govlake.settings import Settings, get_settings

MAX_PAGE = 1000
CALLS_PER_MINUTE = 600  # per token
bearer = HTTPBearer(auto_error=False, description="a grant's token (govlake exchange token create)")
Creds = Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]


class Refused(HTTPException):
    """A 4xx whose reason is both the answer and the audit entry's."""


@dataclasses.dataclass
class Call:
    """What the audit entry of one call records; filled in as the call proceeds."""

    path: str
    token: Token | None = None
    grant: Grant | None = None
    resource: str | None = None
    filters: list[str] = dataclasses.field(default_factory=list)
    rows: int | None = None
    columns: list[str] | None = None


def _encode_cursor(version: str, key: list[Any]) -> str:
    text = json.dumps({"v": version, "k": key}, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, version: str) -> list[Any]:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        key, v = data["k"], data["v"]
        if not isinstance(key, list) or not all(isinstance(k, int) for k in key):
            raise ValueError
    except (ValueError, KeyError, TypeError):
        raise Refused(400, "cursor is not one this API gave out") from None
    if v != version:
        raise Refused(
            409,
            "the resource has a new version since this cursor was given: start again without it",
        )
    return key


def create_app(
    rules: Rules | None = None,
    settings: Settings | None = None,
    *,
    calls_per_minute: int = CALLS_PER_MINUTE,
) -> FastAPI:
    """The API on the configured lake and register (both read when the app is made).

    ``calls_per_minute`` is each token's limit over a sliding minute (in this process)."""
    from govlake.exchange import load_rules

    recent: dict[str, deque[float]] = {}

    settings = settings or get_settings()
    rules = rules or load_rules()
    lake = Lake(settings.lake_root)
    app = FastAPI(
        title="govlake exchange API (共享交换接口)",
        description="A grant's resource, exactly as granted; every call is audited "
        "(docs/exchange.md).",
        version="1",
    )

    def audit(call: Call, status: int, started: float, reason: str | None = None) -> None:
        g = call.grant
        fields: dict[str, Any] = {
            "by": call.token.id if call.token else None,
            "token": call.token.id if call.token else None,
            "grant": g.id if g else None,
            "resource": call.resource,
            "path": call.path,
            "filters": call.filters,
            "rows": call.rows,
            "columns": call.columns,
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        }
        if reason:
            fields["reason"] = reason
        with log.locked(lake, timeout=settings.ingest_lock_timeout):
            log.append(lake, "api_call", g.grantee if g else "unknown", **fields)

    def authorise(
        call: Call, creds: HTTPAuthorizationCredentials | None
    ) -> tuple[Grant, Shareable]:
        if creds is None:
            raise Refused(401, "no token: send `Authorization: Bearer <token>`")
        token = lookup(lake, creds.credentials)
        if token is None:
            raise Refused(401, "unknown token")
        call.token = token
        grant = read_state(lake).grants[token.grant]
        call.grant = grant
        now = time.monotonic()
        window = recent.setdefault(token.id, deque())
        while window and window[0] <= now - 60:
            window.popleft()
        if len(window) >= calls_per_minute:
            wait = max(1, math.ceil(window[0] + 60 - now))
            raise Refused(
                429,
                f"token {token.id}: more than {calls_per_minute} calls a minute; retry in {wait} s",
                headers={"Retry-After": str(wait)},
            )
        window.append(now)
        if token.revoked_at:
            raise Refused(
                403, f"token {token.id} was revoked on {token.revoked_at}: {token.reason}"
            )
        status = grant.status(today())
        if status == "expired":
            raise Refused(403, f"grant {grant.id} expired on {grant.valid_until}")
        if status != "active":
            why = f": {grant.reason}" if grant.reason else ""
            raise Refused(403, f"grant {grant.id} is {status}{why}")
        res = rules.resources.get(grant.resource)
        if res is None:
            raise Refused(403, f"resource {grant.resource} is no longer in the register")
        if res.refusal:
            raise Refused(403, res.refusal)
        return grant, res

    def run(call: Call, creds: Any, work: Any) -> Response:
        started = time.perf_counter()
        try:
            grant, res = authorise(call, creds)
            answer = work(call, grant, res)
        except Refused as exc:
            audit(call, exc.status_code, started, str(exc.detail))
            raise
        except ExchangeError as exc:  # a bad filter: the caller's mistake, said plainly
            audit(call, 400, started, str(exc))
            raise Refused(400, str(exc)) from None
        except Exception as exc:
            audit(call, 500, started, f"{type(exc).__name__}: {exc}")
            raise
        audit(call, answer.status_code, started)
        return answer

    def scoped(call: Call, grant: Grant, res: Shareable, resource: str) -> None:
        call.resource = resource
        if resource != res.id and resource != res.code:
            raise Refused(403, f"grant {grant.id} covers {res.id} only, not {resource}")

    @app.get("/v1/resources", summary="what the caller may read")
    def list_resources(request: Request, creds: Creds = None) -> Response:
        def work(call: Call, grant: Grant, res: Shareable) -> Response:
            call.resource = res.id
            call.rows = 1
            return JSONResponse(
                {
                    "resources": [
                        {
                            "id": res.id,
                            "code": res.code,
                            "name": res.name,
                            "layer": res.layer,
                            "provider": res.provider,
                            "grant": grant.id,
                            "valid_until": grant.valid_until,
                            "rows": grant.rows_text,
                            "columns": _delivered(res, grant),
                        }
                    ]
                }
            )

        return run(Call(request.url.path), creds, work)

    @app.get("/v1/resources/{resource}/schema", summary="the granted 信息项")
    def schema(resource: str, request: Request, creds: Creds = None) -> Response:
        def work(call: Call, grant: Grant, res: Shareable) -> Response:
            scoped(call, grant, res, resource)
            fields = []
            for name in grant.columns:
                c = res.column_map[name]
                clear = name in grant.clear
                fields.append(
                    {
                        "name": delivered_name(c, clear),
                        "label": c.label,
                        "type": "string (grantee pseudonym)"
                        if (c.identifier and not clear) or c.pseudonym
                        else c.type,
                        "sensitivity": c.sensitivity,
                    }
                )
            call.columns = [f["name"] for f in fields]
            return JSONResponse(
                {"resource": res.id, "grant": grant.id, "rows": grant.rows_text, "fields": fields}
            )

        return run(Call(request.url.path), creds, work)

    @app.get("/v1/resources/{resource}", summary="the granted rows, a page at a time")
    def rows(
        resource: str,
        request: Request,
        where: list[str] = Query(  # noqa: B008
            default=[], description="filter on a granted column, e.g. `age >= 70` (repeatable)"
        ),
        limit: int = Query(100, ge=1, le=MAX_PAGE),
        cursor: str | None = Query(None, description="next_cursor of the page before"),
        format: Literal["json", "csv", "arrow"] = "json",
        creds: Creds = None,
    ) -> Response:
        def work(call: Call, grant: Grant, res: Shareable) -> Response:
            scoped(call, grant, res, resource)
            call.filters = list(where)
            extra = check_rows(res, [parse_condition(w) for w in where])
            outside = [c["column"] for c in extra if c["column"] not in grant.columns]
            if outside:
                raise Refused(
                    403, f"column {outside[0]} is outside grant {grant.id}: filters name granted "
                    f"columns only ({', '.join(grant.columns)})",
                )  # fmt: skip
            scope = dataclasses.replace(grant, rows=[*grant.rows, *extra])
            key = grantee_key(settings.pseudonym_key(), grant.grantee)
            if res.layer == "department":
                table, last, version = _department_page(lake, res, grant, scope, cursor, limit)
            else:
                table, last, version = _derived_page(settings, res, grant, scope, cursor, limit)
            out = _project(res, grant, table, key, _normalise)
            call.rows, call.columns = out.num_rows, out.column_names
            next_cursor = _encode_cursor(version, last) if last is not None else None
            headers = {"X-Next-Cursor": next_cursor} if next_cursor else {}
            if format == "arrow":  # an Arrow IPC stream, for bulk readers
                import pyarrow.ipc as ipc

                sink = pa.BufferOutputStream()
                with ipc.new_stream(sink, out.schema) as writer:
                    writer.write_table(out)
                return Response(
                    sink.getvalue().to_pybytes(),
                    media_type="application/vnd.apache.arrow.stream",
                    headers=headers,
                )
            if format == "csv":
                import pyarrow.csv as pacsv

                buf = io.BytesIO()
                pacsv.write_csv(out, buf)
                return Response(
                    buf.getvalue(), media_type="text/csv; charset=utf-8", headers=headers
                )
            return JSONResponse(
                {
                    "resource": res.id,
                    "grant": grant.id,
                    "columns": out.column_names,
                    "rows": jsonable_encoder(out.to_pylist()),
                    "next_cursor": next_cursor,
                }
            )

        return run(Call(request.url.path), creds, work)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        """A parameter FastAPI refused before the handler (e.g. ``limit`` over the page size):
        audited like every other call, under the token's grant when the token is known."""
        started = time.perf_counter()
        call = Call(request.url.path)
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and credentials:
            call.token = lookup(lake, credentials)
            if call.token is not None:
                call.grant = read_state(lake).grants.get(call.token.grant)
        detail = jsonable_encoder(exc.errors())
        reason = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in detail
        )
        audit(call, 422, started, reason)
        return JSONResponse({"detail": detail}, status_code=422)

    return app


def _normalise(values: pa.Array) -> pa.Array:
    from govlake.ingest.pseudonym import normalise_array

    return normalise_array(values)


def _delivered(res: Shareable, grant: Grant) -> list[str]:
    return [delivered_name(res.column_map[c], c in grant.clear) for c in grant.columns]


def _source_columns(res: Shareable, grant: Grant) -> list[str]:
    """The columns ``_project`` needs: an identifier's pseudonym unless granted in clear."""
    out = []
    for name in grant.columns:
        c = res.column_map[name]
        out.append(name if (not c.identifier or name in grant.clear) else f"{name}_key")
    return out


def _page(
    con: Any,
    relation: str,
    select: list[str],
    keys: list[str],
    scope: Grant,
    exprs: dict[str, tuple[str, str]],
    cursor: str | None,
    version: str,
    limit: int,
) -> tuple[pa.Table, list[int] | None, str]:
    """One page in key order; the grant's and the caller's conditions in the same ``where``."""
    where, params = _where(scope, exprs)
    if cursor:
        after = _decode_cursor(cursor, version)
        if len(after) != len(keys):
            raise Refused(400, "cursor is not one this API gave out")
        where += f" and ({', '.join(keys)}) > ({', '.join('?' for _ in keys)})"
        params += after
    names = ", ".join([*(_quote(c) for c in select), *keys])
    table = con.execute(
        f"select {names} from {relation} where {where} order by {', '.join(keys)} "
        f"limit {int(limit) + 1}",
        params,
    ).fetch_arrow_table()
    last = None
    if table.num_rows > limit:
        table = table.slice(0, limit)
        last = [int(table[k.strip('"')][limit - 1].as_py()) for k in keys]
    return table, last, version


def _derived_page(
    settings: Settings, res: Shareable, grant: Grant, scope: Grant, cursor: str | None, limit: int
) -> tuple[pa.Table, list[int] | None, str]:
    """A derived table's page, keyed by DuckDB's rowid within one build (the version)."""
    from govlake.transform.query import connect_analyst

    con = connect_analyst(settings)
    try:
        rows = con.execute("select files from _govlake.build_state").fetchall()
        version = hashlib.sha256((rows[0][0] if rows else "").encode()).hexdigest()[:16]
        exprs = {
            c["column"]: (_quote(c["column"]), res.column_map[c["column"]].kind) for c in scope.rows
        }
        return _page(
            con, _relation(res.relation or ""), list(grant.columns), ["rowid"], scope, exprs,
            cursor, version, limit,
        )  # fmt: skip
    finally:
        con.close()


def _read_batch(lake: Lake, resource: str, batch: str, columns: list[str]) -> pa.Table | None:
    """One accepted batch minus its deletion vector, only the columns a page needs."""
    return read_accepted(lake, resource, batch, columns=columns)


def _department_page(
    lake: Lake, res: Shareable, grant: Grant, scope: Grant, cursor: str | None, limit: int
) -> tuple[pa.Table, list[int] | None, str]:
    """A department resource's current version (its batches, minus superseded and quarantined
    rows), keyed by (batch, source row); compared as delivered: NFKC and trimmed."""
    import duckdb

    batches = department_batches(lake, res.id)
    version = hashlib.sha256(json.dumps([b.id for b in batches]).encode()).hexdigest()[:16]
    needed = list(dict.fromkeys([*_source_columns(res, grant), *(c["column"] for c in scope.rows)]))
    parts = []
    for n, b in enumerate(batches):
        t = _read_batch(lake, res.id, b.id, needed)
        if t is not None:
            parts.append(t.append_column("__batch", pa.array([n] * t.num_rows, pa.int64())))
    if not parts:
        return (
            pa.table({c: pa.array([], pa.string()) for c in _source_columns(res, grant)}),
            None,
            version,
        )
    table = pa.concat_tables(parts, promote_options="default")
    exprs: dict[str, tuple[str, str]] = {}
    for n, cond in enumerate(scope.rows):
        name = cond["column"]
        if name not in exprs:
            values = table[name].combine_chunks().cast(pa.string())
            table = table.append_column(
                f"__c{n}", pc.utf8_trim_whitespace(pc.utf8_normalize(values, "NFKC"))
            )
            exprs[name] = (f"__c{n}", res.column_map[name].kind)
    con = duckdb.connect()
    try:
        con.register("current_version", table)
        return _page(
            con, "current_version", _source_columns(res, grant), ["__batch", "_source_row"],
            scope, exprs, cursor, version, limit,
        )  # fmt: skip
    finally:
        con.close()


def how_to_call(lake: Lake, port: int = 8800) -> list[str]:
    """How a grantee reads its grant over the API, for the first active sample grant (none: [])."""
    state = read_state(lake)
    grant = next((g for g in state.grants.values() if g.status(today()) == "active"), None)
    if grant is None:
        return []
    return [
        f"exchange read API ({grant.grantee} ← {grant.resource}, grant {grant.id}):",
        f"  govlake exchange token create --grant {grant.id} --as {grant.grantee}",
        f"  govlake api --port {port}    (OpenAPI docs: http://127.0.0.1:{port}/docs)",
        f'  curl -H "Authorization: Bearer <token>" '
        f'"http://127.0.0.1:{port}/v1/resources/{grant.resource}?limit=10"',
    ]


def serve(host: str = "127.0.0.1", port: int = 8800) -> None:
    """Serve the API with uvicorn (loopback by default: a department reaches it through the
    district's gateway, not directly)."""
    import uvicorn

    uvicorn.run(create_app(), host=host, port=port, log_level="info")
