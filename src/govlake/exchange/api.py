"""The exchange read API (接口共享, issue #15): a grant's rows over HTTP, every call on the record.

A department system holding a token (``tokens.py``: one grant's, or its department's covering
all its grants) reads a granted resource's current version here, with exactly the scope a file
delivery has: the grant's columns, its rows (its conditions and the caller's filters are one
``where`` that DuckDB runs, values bound as parameters), identifiers in clear only when granted
and otherwise the grantee's pseudonym (``deliver.project``). Paging is by key (a cursor), so a
page is a key range and not an offset scan; a cursor names the version it was cut from and is
refused after a rebuild. ``format=arrow`` with a limit above the page size streams record
batches from a DuckDB cursor (bulk readers), never holding the whole answer in memory.

Every call, refused ones included, is an ``api_call`` entry in the exchange's hash-chained log
(who, token, grant, resource, filters, rows, columns, status), so ``audit --verify`` covers it;
a flood of refused calls is audited once per minute and key (token or client address). Grants
and tokens are folded from the log once and then followed as it grows (``LogView``): a
revocation takes effect on the next call. Derived resources are read through one read-only
warehouse connection, reopened when a build swaps the file; department resources through a
per-version DuckDB table built from the accepted Parquet (``DepartmentCache``).
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import functools
import hashlib
import io
import json
import math
import os
import re
import threading
import time
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl

import pyarrow as pa
import pyarrow.compute as pc
from fastapi import FastAPI, HTTPException, Request, Security
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from govlake.exchange import log
from govlake.exchange.deliver import (
    department_batches,
    grantee_key,
    project,
    quote_name,
    relation_sql,
    superseded_batches,
    where_sql,
)
from govlake.exchange.rules import (
    ExchangeError,
    Rules,
    Shareable,
    check_rows,
    delivered_name,
    parse_condition,
)
from govlake.exchange.state import Grant, State, fold, read_state, today
from govlake.exchange.tokens import Token, find, fold_tokens, token_hash
from govlake.lake import Lake
from govlake.settings import Settings, get_settings

_quote = quote_name
STREAM_BATCH = 65_536  # rows per Arrow record batch of a streamed answer
PAGES = "/v1/resources/"  # + {resource}: the rows endpoint
JSON_CHUNK = 1024  # rows of a cached answer encoded as JSON together
SETTLE_NS = 2_000_000_000  # a manifest folder changed this recently is not trusted by mtime
bearer = HTTPBearer(
    auto_error=False, description="a grant's or a department's token (govlake exchange token)"
)
Creds = Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]


class Refused(HTTPException):
    """A 4xx whose reason is both the answer and the audit entry's."""


@dataclasses.dataclass
class Call:
    """What the audit entry of one call records; filled in as the call proceeds."""

    path: str
    client: str | None = None
    token: Token | None = None
    grant: Grant | None = None
    resource: str | None = None
    filters: list[str] = dataclasses.field(default_factory=list)
    rows: int | None = None
    columns: list[str] | None = None
    streamed: bool = False


def _encode_cursor(version: str, key: int) -> str:
    text = json.dumps({"v": version, "k": [key]}, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str | None, version: str) -> int:
    """The key after which the page starts: -1 without a cursor (a warehouse table's first
    ``rowid`` is 0)."""
    if not cursor:
        return -1
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        key, v = data["k"], data["v"]
        if not isinstance(key, list) or len(key) != 1 or not isinstance(key[0], int):
            raise ValueError
    except (ValueError, KeyError, TypeError):
        raise Refused(400, "cursor is not one this API gave out") from None
    if v != version:
        raise Refused(
            409,
            "the resource has a new version since this cursor was given: start again without it",
        )
    return key[0]


def create_app(
    rules: Rules | None = None,
    settings: Settings | None = None,
    *,
    calls_per_minute: int | None = None,
    fast_pages: bool = True,
) -> FastAPI:
    """The API on the configured lake and register (both read when the app is made).

    Limits come from ``settings`` (GOVLAKE_API_*); ``calls_per_minute`` overrides the per-token
    one. They are counted in this process: each uvicorn worker has its own. ``fast_pages``
    off sends every call the regular way (the tests compare both)."""
    from govlake.exchange import load_rules

    settings = settings or get_settings()
    rules = rules or load_rules()
    lake = Lake(settings.lake_root)
    per_token = Limiter(calls_per_minute or settings.api_calls_per_minute)
    anonymous = Limiter(settings.api_anonymous_calls_per_minute)
    logview = LogView(lake)
    writer = AuditWriter(
        lake, settings.ingest_lock_timeout, logview.appended, settings.api_audit_gather_ms / 1000
    )
    departments = DepartmentCache(lake)
    warehouse = Warehouse(settings)
    answers = AnswerCache(settings.api_cache_bytes)
    tops: dict[tuple[str, str], int] = {}  # (build version, relation) → max rowid
    app = FastAPI(
        title="govlake exchange API (共享交换接口)",
        description="A grant's resource, exactly as granted; every call is audited "
        "(docs/exchange.md).",
        version="1",
    )
    app.state.departments = departments
    app.state.audit = writer
    app.state.answers = answers

    def audit_fields(call: Call, status: int, started: float, reason: str | None) -> dict[str, Any]:
        g = call.grant
        fields: dict[str, Any] = {
            "by": call.token.id if call.token else None,
            "token": call.token.id if call.token else None,
            "grant": g.id if g else None,
            "resource": call.resource,
            "path": call.path,
            "client": call.client,
            "filters": call.filters,
            "rows": call.rows,
            "columns": call.columns,
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            "worker": os.getpid(),  # which serving process (govlake api --workers N)
        }
        if reason:
            fields["reason"] = reason
        return fields

    def audit(call: Call, status: int, started: float, reason: str | None = None) -> None:
        fields = audit_fields(call, status, started, reason)
        writer.write("api_call", call.token.grantee if call.token else "unknown", fields)

    async def audit_async(
        call: Call, status: int, started: float, reason: str | None = None
    ) -> None:
        """``audit`` for the event loop: the same entry, awaited until it is fsynced."""
        fields = audit_fields(call, status, started, reason)
        actor = call.token.grantee if call.token else "unknown"
        await writer.write_async("api_call", actor, fields)

    def count(token: Token) -> None:
        """The call under the token's rate limit (429 over it)."""
        over = per_token.hit(token.id)
        if over is not None:
            wait, first = over
            raise Refused(
                429,
                f"token {token.id}: more than {per_token.per_minute} calls a minute; retry in "
                f"{wait} s",
                headers={"Retry-After": str(wait), **({} if first else {"X-Not-Audited": "1"})},
            )

    def identify(call: Call, credentials: str | None) -> tuple[State, Token]:
        """The caller's token (401 without one), under its rate limit (429)."""
        state, tokens = logview.current()
        token = find(tokens.values(), credentials) if credentials else None
        if token is None:
            over = anonymous.hit(call.client or "?")
            if over is not None:
                wait, first = over
                raise Refused(
                    429, f"{call.client}: more than {anonymous.per_minute} calls a minute without "
                    f"a valid token; retry in {wait} s",
                    headers={"Retry-After": str(wait), **({} if first else {"X-Not-Audited": "1"})},
                )  # fmt: skip
            if not credentials:
                raise Refused(401, "no token: send `Authorization: Bearer <token>`")
            raise Refused(401, "unknown token")
        call.token = token
        if token.grant:
            call.grant = state.grants[token.grant]
        count(token)
        if token.revoked_at:
            raise Refused(
                403, f"token {token.id} was revoked on {token.revoked_at}: {token.reason}"
            )
        return state, token

    def readable(grant: Grant) -> Shareable:
        """The grant's resource if the grant may be read today (else 403 with the reason)."""
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
        return res

    def grant_for(call: Call, state: State, token: Token, resource: str) -> tuple[Grant, Shareable]:
        """The grant a call on ``resource`` is served under: the token's own, or for a
        department token the department's newest active grant of that resource."""
        call.resource = resource
        if token.grant is None:
            codes = {r.id: r.code for r in rules.resources.values()}
            held = sorted(
                (g for g in state.grants.values() if g.grantee == token.grantee
                 and resource in (g.resource, codes.get(g.resource))),
                key=lambda g: (g.status(today()) == "active", g.id),
            )  # fmt: skip
            if not held:
                raise Refused(403, f"{token.grantee} holds no grant of {resource}")
            call.grant = held[-1]
        grant = call.grant
        assert grant is not None
        res = readable(grant)
        if resource != res.id and resource != res.code:
            raise Refused(403, f"grant {grant.id} covers {res.id} only, not {resource}")
        return grant, res

    def run(call: Call, creds: HTTPAuthorizationCredentials | None, work: Any) -> Response:
        started = time.perf_counter()
        try:
            state, token = identify(call, creds.credentials if creds else None)
            answer = work(call, state, token, started)
        except Refused as exc:
            if not (exc.headers or {}).get("X-Not-Audited"):
                audit(call, exc.status_code, started, str(exc.detail))
            raise
        except ExchangeError as exc:  # a bad filter: the caller's mistake, said plainly
            audit(call, 400, started, str(exc))
            raise Refused(400, str(exc)) from None
        except Exception as exc:
            audit(call, 500, started, f"{type(exc).__name__}: {exc}")
            raise
        if not call.streamed:  # a stream is audited when it ends
            audit(call, answer.status_code, started)
        return answer

    def client(request: Request) -> str | None:
        return request.client.host if request.client else None

    @app.get("/v1/resources", summary="what the caller may read")
    def list_resources(request: Request, creds: Creds = None) -> Response:
        def work(call: Call, state: State, token: Token, started: float) -> Response:
            if token.grant is not None:
                grants = [state.grants[token.grant]]
            else:
                grants = sorted(
                    (g for g in state.grants.values()
                     if g.grantee == token.grantee and g.status(today()) == "active"),
                    key=lambda g: g.id,
                )  # fmt: skip
            listed = []
            for grant in grants:
                res = readable(grant)
                listed.append(
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
                )
            call.resource = ",".join(r["id"] for r in listed) or None
            call.rows = len(listed)
            return JSONResponse({"resources": listed})

        return run(Call(request.url.path, client(request)), creds, work)

    @app.get("/v1/resources/{resource}/schema", summary="the granted 信息项")
    def schema(resource: str, request: Request, creds: Creds = None) -> Response:
        def work(call: Call, state: State, token: Token, started: float) -> Response:
            grant, res = grant_for(call, state, token, resource)
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

        return run(Call(request.url.path, client(request)), creds, work)

    def source(res: Shareable, scope: Grant) -> tuple[Any, str, str, str, int, dict[str, Any]]:
        """(DuckDB cursor, relation, key column, version, keys end, condition expressions)."""
        if res.layer == "department":
            v = departments.version(res)
            exprs = {}
            for c in scope.rows:  # compared as delivered: NFKC and trimmed
                name = c["column"]
                expr = f"coalesce({_quote('__n_' + name)}, {_quote(name)})"
                exprs[name] = (expr if name in v.columns else "null", res.column_map[name].kind)
            return _Lazy(departments.db.cursor), v.table, "__pos", v.id, v.rows, exprs
        cur, version = warehouse.cursor()
        relation = relation_sql(res.relation or "")
        if (version, relation) not in tops:
            top = cur.execute(f"select coalesce(max(rowid), -1) + 1 from {relation}").fetchone()
            tops[(version, relation)] = int(top[0])
        exprs = {c["column"]: (_quote(c["column"]), res.column_map[c["column"]].kind)
                 for c in scope.rows}  # fmt: skip
        return cur, relation, "rowid", version, tops[(version, relation)], exprs

    rows_parameters = [
        {"name": "where", "in": "query", "required": False,
         "description": "filter on a granted column, e.g. `age >= 70` (repeatable)",
         "schema": {"type": "array", "items": {"type": "string"}, "default": []}},
        {"name": "limit", "in": "query", "required": False,
         "description": f"rows per page: at most {settings.api_page_limit} "
         f"(format=arrow: {settings.api_arrow_limit}, streamed)",
         "schema": {"type": "integer", "minimum": 1, "default": 100}},
        {"name": "cursor", "in": "query", "required": False,
         "description": "next_cursor of the page before", "schema": {"type": "string"}},
        {"name": "format", "in": "query", "required": False,
         "schema": {"type": "string", "enum": ["json", "csv", "arrow"], "default": "json"}},
    ]  # fmt: skip

    @app.get(
        "/v1/resources/{resource}",
        summary="the granted rows, a page at a time",
        openapi_extra={"parameters": rows_parameters, "security": [{"HTTPBearer": []}]},
    )
    def rows(resource: str, request: Request) -> Response:
        # query parameters are read here, not by FastAPI's per-call parameter solving (the
        # largest part of a cached page's CPU; documented by `rows_parameters`); a bad one is
        # a 422 audited under the caller's token
        query = request.query_params
        where = query.getlist("where")
        cursor = query.get("cursor")
        raw_limit, format = query.get("limit", "100"), query.get("format", "json")

        def work(call: Call, state: State, token: Token, started: float) -> Response:
            try:
                limit = int(raw_limit)
            except ValueError:
                raise Refused(422, f"limit: {raw_limit!r} is not a whole number") from None
            if limit < 1:
                raise Refused(422, f"limit: {limit} is below 1")
            if format not in ("json", "csv", "arrow"):
                raise Refused(422, f"format: {format!r} is not one of json, csv, arrow")
            grant, res = grant_for(call, state, token, resource)
            call.filters = list(where)
            most = settings.api_arrow_limit if format == "arrow" else settings.api_page_limit
            if limit > most:
                raise Refused(
                    422, f"limit {limit} is above {most} rows for format={format}"
                    + (f" (format=arrow streams up to {settings.api_arrow_limit})"
                       if format != "arrow" else ""),
                )  # fmt: skip
            extra = check_rows(res, [parse_condition(w) for w in where])
            outside = [c["column"] for c in extra if c["column"] not in grant.columns]
            if outside:
                raise Refused(
                    403, f"column {outside[0]} is outside grant {grant.id}: filters name granted "
                    f"columns only ({', '.join(grant.columns)})",
                )  # fmt: skip
            scope = dataclasses.replace(grant, rows=[*grant.rows, *extra])
            key = grantee_key(settings.pseudonym_key(), grant.grantee)
            cur, relation, keycol, version, top, exprs = source(res, scope)
            after = _decode_cursor(cursor, version)
            select = _source_columns(res, grant)
            cached = None
            if not extra and top:  # the grant's own scope: its answer, projected once per version
                cached = answers.get(
                    (grant.id, _scope_stamp(grant), res.id, version),
                    lambda: _answer(cur, res, grant, key, relation, select, keycol,
                                    *where_sql(grant, exprs)),
                )  # fmt: skip
            if cached is not None:
                if format == "arrow" and limit > settings.api_page_limit:
                    return stream_cached(call, started, cached, after, limit, version)
                start, end, last = cached.span(after, limit)
                out = cached.table.slice(start, end - start)
                rows = functools.partial(cached.json_rows, start, end)
            else:
                where_text, params = where_sql(scope, exprs)
                if format == "arrow" and limit > settings.api_page_limit:
                    return stream(call, started, cur, res, grant, key, relation, select, keycol,
                                  where_text, params, after, limit, version)  # fmt: skip
                if top:
                    table, last = _windows(
                        cur, relation, select, keycol, where_text, params, after, limit, top
                    )
                else:
                    table, last = pa.table({c: pa.array([], pa.string()) for c in select}), None
                out, rows = project(res, grant, table, key, _normalise), None
            return page_answer(call, res, grant, out, last, version, format, rows)

        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        creds = (
            HTTPAuthorizationCredentials(scheme=scheme, credentials=credentials)
            if scheme.lower() == "bearer" and credentials
            else None
        )
        return run(Call(request.url.path, client(request)), creds, work)

    def page_answer(
        call: Call, res: Shareable, grant: Grant, out: pa.Table, last: int | None, version: str,
        format: str, rows: Any = None,
    ) -> Response:  # fmt: skip
        """One page (``out``, projected) in ``format``, its cursor in the body or a header;
        ``rows()``, if given, gives the page's JSON rows already encoded (a cached answer's)."""
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
            return Response(buf.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)
        body = {"resource": res.id, "grant": grant.id, "columns": out.column_names}
        if rows is None:
            return _json(body | {"rows": _json_rows(out), "next_cursor": next_cursor})
        import msgspec  # the same bytes as encoding the whole body (keys in order, no spaces)

        encode = msgspec.json.encode
        return Response(
            b"".join((encode(body)[:-1], b',"rows":[', rows(), b'],"next_cursor":',
                      encode(next_cursor), b"}")),
            media_type="application/json",
        )  # fmt: skip

    def stream(
        call: Call, started: float, cur: Any, res: Shareable, grant: Grant, key: bytes,
        relation: str, select: list[str], keycol: str, where_text: str, params: list[Any],
        after: int, limit: int, version: str,
    ) -> Response:  # fmt: skip
        """Up to ``limit`` rows as Arrow record batches straight from a DuckDB cursor; the
        call is audited when the stream ends (rows sent; a client that stops reading too)."""
        scoped = f"from {relation} where ({where_text}) and {keycol} > ?"
        last = cur.execute(
            f"select max({keycol}) from (select {keycol} {scoped} order by {keycol} "
            f"limit {int(limit)})",
            [*params, after],
        ).fetchone()[0]
        more = (
            last is not None
            and cur.execute(f"select exists (select 1 {scoped})", [*params, last]).fetchone()[0]
        )
        headers = {"X-Next-Cursor": _encode_cursor(version, int(last))} if more else {}
        names = ", ".join(_quote(c) for c in select)
        reader = cur.execute(
            f"select {names} {scoped} and {keycol} <= ? order by {keycol}",
            [*params, after, last if last is not None else after],
        ).to_arrow_reader(STREAM_BATCH)
        call.streamed = True
        schema = project(res, grant, reader.schema.empty_table(), key, _normalise).schema
        call.columns = schema.names

        batches = (
            project(res, grant, pa.Table.from_batches([batch]), key, _normalise) for batch in reader
        )
        return arrow_answer(call, started, schema, batches, headers)

    def stream_cached(
        call: Call, started: float, cached: Answer, after: int, limit: int, version: str
    ) -> Response:
        """Up to ``limit`` rows of a cached answer as Arrow record batches (slices of the
        projected table: no query, no re-keying)."""
        table, last = cached.page(after, limit)
        headers = {"X-Next-Cursor": _encode_cursor(version, last)} if last is not None else {}
        call.streamed, call.columns = True, table.column_names

        batches = (pa.Table.from_batches([b]) for b in table.to_batches(STREAM_BATCH))
        return arrow_answer(call, started, table.schema, batches, headers)

    def arrow_answer(
        call: Call,
        started: float,
        schema: pa.Schema,
        tables: Iterator[pa.Table],
        headers: dict[str, str],
    ) -> Response:
        """An Arrow IPC stream of ``tables``, audited once it ends (how many rows were sent,
        and why it stopped if it did not finish)."""
        import pyarrow.ipc as ipc

        def body() -> Iterator[bytes]:
            sink = io.BytesIO()
            sent, status, reason = 0, 200, None
            try:
                with ipc.new_stream(sink, schema) as writer:
                    for table in tables:
                        writer.write_table(table)
                        sent += table.num_rows
                        yield sink.getvalue()
                        sink.seek(0)
                        sink.truncate()
                yield sink.getvalue()  # the end-of-stream marker
            except GeneratorExit:
                reason = f"the client stopped reading after {sent} rows"
                raise
            except Exception as exc:
                status, reason = 500, f"{type(exc).__name__}: {exc} (after {sent} rows)"
                raise
            finally:
                call.rows = sent
                audit(call, status, started, reason)

        return StreamingResponse(
            body(), media_type="application/vnd.apache.arrow.stream", headers=headers
        )

    def refuse_early(request: Request, status: int, reason: str, body: Any = None) -> Response:
        """A call refused before its handler (a parameter FastAPI rejected, a request too
        large): audited like every other, under the token when it is a valid one, and under
        the anonymous limit when it is not."""
        started = time.perf_counter()
        call = Call(request.url.path, client(request))
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        state, tokens = logview.current()
        if scheme.lower() == "bearer" and credentials:
            call.token = find(tokens.values(), credentials)
        if call.token is None:
            over = anonymous.hit(call.client or "?")
            if over is not None:
                wait, first = over
                reason = (f"{call.client}: more than {anonymous.per_minute} calls a minute "
                          f"without a valid token; retry in {wait} s")  # fmt: skip
                if first:
                    audit(call, 429, started, reason)
                return JSONResponse(
                    {"detail": reason}, status_code=429, headers={"Retry-After": str(wait)}
                )
        elif call.token.grant:
            call.grant = state.grants.get(call.token.grant)
        audit(call, status, started, reason)
        return JSONResponse({"detail": body if body is not None else reason}, status_code=status)

    class RequestSize:
        """Refuse what no reader needs: a long URL (414), a body on a GET (413), more filters
        than ``api_max_filters`` (400). Plain ASGI: Starlette's ``BaseHTTPMiddleware`` costs
        every call a task group and a stream."""

        def __init__(self, app: Any) -> None:
            self.app = app

        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] != "http":
                await self.app(scope, receive, send)
                return
            from starlette.concurrency import run_in_threadpool

            request = Request(scope)
            why, status = None, 0
            size = len(request.url.path) + len(request.url.query)
            if size > settings.api_max_url:
                status = 414
                why = (
                    f"the URL is {size} bytes; at most {settings.api_max_url} (GOVLAKE_API_MAX_URL)"
                )
            elif request.headers.get("content-length", "0") not in ("", "0") or (
                "transfer-encoding" in request.headers
            ):
                status, why = 413, "this API reads with GET and takes no request body"
            else:
                filters = sum(1 for k, _ in request.query_params.multi_items() if k == "where")
                if filters > settings.api_max_filters:
                    status = 400
                    why = (f"{filters} `where` filters; at most {settings.api_max_filters} "
                           "(GOVLAKE_API_MAX_FILTERS)")  # fmt: skip
            if why is None:
                await self.app(scope, receive, send)
                return
            answer = await run_in_threadpool(refuse_early, request, status, why)
            await answer(scope, receive, send)

    app.add_middleware(RequestSize)

    memo: dict[str, Any] = {"tokens": None, "by_hash": {}, "state": None, "stamps": {}}

    def token_of(tokens: dict[str, Token], credentials: str) -> Token | None:
        """``find`` by a map of hashes, made once per fold of the tokens."""
        if memo["tokens"] is not tokens:
            memo["by_hash"] = {t.sha256: t for t in tokens.values()}  # the last one wins
            memo["tokens"] = tokens
        return memo["by_hash"].get(token_hash(credentials))

    def stamp(state: State, grant: Grant) -> str:
        """``_scope_stamp`` once per grant and fold of the log."""
        if memo["state"] is not state:
            memo["state"], memo["stamps"] = state, {}
        found = memo["stamps"].get(grant.id)
        if found is None:
            found = memo["stamps"][grant.id] = _scope_stamp(grant)
        return found

    def hot(
        call: Call, state: State, token: Token, resource: str, params: dict[str, str]
    ) -> tuple[Grant, Shareable, Answer, int, int, str] | None:
        """What a page of the grant's cached answer needs, found without reading anything nor
        counting the call; None when the call is anything else (a refusal, a filter, a
        version or answer not made yet, arrow): the regular path then takes it whole."""
        if token.revoked_at or (token.grant and token.grant not in state.grants):
            return None
        format = params.get("format", "json")
        try:
            limit = int(params.get("limit", "100"))
        except ValueError:
            return None
        if format not in ("json", "csv") or not 1 <= limit <= settings.api_page_limit:
            return None
        call.grant = state.grants[token.grant] if token.grant else None
        try:
            grant, res = grant_for(call, state, token, resource)
        except Refused:
            return None
        if res.layer == "department":
            version = departments.current(res)
        else:
            version = warehouse.current()
            if version is not None and not tops.get((version, relation_sql(res.relation or ""))):
                version = None
        if version is None:
            return None
        try:
            after = _decode_cursor(params.get("cursor"), version)
        except Refused:
            return None
        cached = answers.peek((grant.id, stamp(state, grant), res.id, version))
        if cached is None:
            return None
        return grant, res, cached, after, limit, version

    class FastPages:
        """The hot call on the event loop: a JSON or CSV page of a grant's cached answer, no
        filter. No thread-pool hop and no FastAPI routing; the same checks, page, answer and
        audit entry as the regular path (which takes every other call, refusals included,
        before anything is counted), the answer sent only once its entry is fsynced."""

        def __init__(self, app: Any) -> None:
            self.app = app

        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            taken = self.take(scope) if scope["type"] == "http" else None
            if taken is None:
                await self.app(scope, receive, send)
                return
            call, started, token, found = taken
            grant, res, cached, after, limit, version, format = found
            try:
                try:
                    count(token)
                except Refused:  # counted before the resource is read: as the regular path's
                    call.resource = None  # 429, its entry names no resource (nor, for a
                    call.grant = call.grant if token.grant else None  # department, a grant)
                    raise
                start, end, last = cached.span(after, limit)
                out = cached.table.slice(start, end - start)
                rows = functools.partial(cached.json_rows, start, end)
                answer = page_answer(call, res, grant, out, last, version, format, rows)
            except Refused as exc:
                from fastapi.exception_handlers import http_exception_handler

                if not (exc.headers or {}).get("X-Not-Audited"):
                    await audit_async(call, exc.status_code, started, str(exc.detail))
                answer = await http_exception_handler(Request(scope), exc)
            except Exception as exc:
                await audit_async(call, 500, started, f"{type(exc).__name__}: {exc}")
                raise
            else:
                await audit_async(call, answer.status_code, started)
            app.state.fast_served += 1
            await answer(scope, receive, send)

        def take(self, scope: Any) -> Any:
            if scope["method"] != "GET" or not scope["path"].startswith(PAGES):
                return None
            resource = scope["path"][len(PAGES) :]
            query = scope["query_string"]
            if (
                not resource
                or "/" in resource
                or 3 * len(scope["path"]) + len(query) > (settings.api_max_url)
            ):  # a URL near the limit goes the regular way (RequestSize counts its size)
                return None
            credentials = None
            for name, value in scope["headers"]:
                if name == b"authorization":
                    scheme, _, credentials = value.decode("latin-1").partition(" ")
                    if scheme.lower() != "bearer":
                        return None
                elif name in (b"content-length", b"transfer-encoding") and value != b"0":
                    return None  # RequestSize refuses a body
            if not credentials:
                return None
            params: dict[str, str] = {}
            for k, v in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
                if k not in ("limit", "cursor", "format") or k in params:
                    return None
                params[k] = v
            started = time.perf_counter()
            state, tokens = logview.current()
            token = token_of(tokens, credentials)
            if token is None:
                return None
            client = scope.get("client")
            call = Call(scope["path"], client[0] if client else None, token=token)
            found = hot(call, state, token, resource, params)
            if found is None:
                return None
            return call, started, token, (*found, params.get("format", "json"))

    app.state.fast_served = 0  # calls answered by FastPages (tests check it was taken)
    if fast_pages:
        app.add_middleware(FastPages)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        """A parameter FastAPI refused before the handler (e.g. a bad ``format``)."""
        from starlette.concurrency import run_in_threadpool

        detail = jsonable_encoder(exc.errors())
        reason = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in detail
        )
        return await run_in_threadpool(refuse_early, request, 422, reason, detail)

    return app


def _normalise(values: pa.Array) -> pa.Array:
    from govlake.ingest.pseudonym import normalise_array

    return normalise_array(values)


def _json(body: Any) -> Response:
    """A JSON answer encoded by msgspec (the same JSON as Starlette's, in C)."""
    import msgspec

    return Response(msgspec.json.encode(body), media_type="application/json")


def _json_rows(table: pa.Table) -> list[dict[str, Any]]:
    """Rows as JSON values: dates and times as ISO text, decimals as numbers (Arrow casts them
    in C++; a generic encoder walking each value costs more than the page query)."""
    for i, field in enumerate(table.schema):
        t = field.type
        if pa.types.is_temporal(t) or pa.types.is_decimal(t):
            to = pa.float64() if pa.types.is_decimal(t) else pa.string()
            table = table.set_column(i, field.name, pc.cast(table[i], to))
    return table.to_pylist()


def _delivered(res: Shareable, grant: Grant) -> list[str]:
    return [delivered_name(res.column_map[c], c in grant.clear) for c in grant.columns]


def _source_columns(res: Shareable, grant: Grant) -> list[str]:
    """The columns ``project`` needs: an identifier's pseudonym unless granted in clear."""
    out = []
    for name in grant.columns:
        c = res.column_map[name]
        out.append(name if (not c.identifier or name in grant.clear) else f"{name}_key")
    return out


# how ``log.append_all`` starts an audit entry's line (keys in insertion order, no spaces)
_API_CALL = re.compile(rb'\{"seq":\d+,"at":"[^"]*","kind":"api_call",')


class LogView:
    """The exchange log's grants and tokens, folded once and then followed: each call reads
    only the bytes appended since the last one, and refolds only when one of them is not an
    ``api_call`` (audit entries change no grant or token). A log that shrank or whose new part
    does not chain onto the last entry seen is folded again from the start."""

    def __init__(self, lake: Lake) -> None:
        self.lake = lake
        self.path = log.log_path(lake)
        self.guard = threading.Lock()
        self.offset, self.last = 0, log.GENESIS
        self.inode: int | None = None
        self.decisions: list[dict[str, Any]] = []  # every entry but api_call
        self.state: State = fold([])
        self.tokens: dict[str, Token] = {}

    def current(self) -> tuple[State, dict[str, Token]]:
        path = self.path
        with self.guard:
            try:
                st = os.stat(path)
            except FileNotFoundError:
                st = None
            if st is None or st.st_ino != self.inode or st.st_size < self.offset:
                self._reset(st.st_ino if st else None)
            if st is not None and st.st_size > self.offset:
                self._follow(path)
            return self.state, self.tokens

    def appended(self, before: int, after: int, last: str) -> None:
        """This process appended audit entries at bytes ``before``..``after`` (under the log's
        lock): if the view had read up to ``before``, it moves past them unread (audit
        entries change no grant or token)."""
        with self.guard:
            if self.offset == before and self.inode is not None:
                self.offset, self.last = after, last

    def _reset(self, inode: int | None) -> None:
        self.offset, self.last, self.inode = 0, log.GENESIS, inode
        self.decisions = []
        self.state, self.tokens = fold([]), {}

    def _follow(self, path: Any) -> None:
        with path.open("rb") as fh:
            fh.seek(self.offset)
            data = fh.read()
        end = data.rfind(b"\n") + 1  # a line being written is read next time
        entries = []
        lines = data[:end].splitlines()
        for n, line in enumerate(lines):
            if 0 < n < len(lines) - 1 and _API_CALL.match(line):
                continue  # an audit entry changes nothing here: not parsed (the first and
                # last line are, for the chain's link and its last hash)
            try:
                entries.append(json.loads(line))
            except ValueError:
                raise log.LogCorrupt(
                    f"{path}: an entry after byte {self.offset} is not JSON"
                ) from None
        if not entries:
            return
        if entries[0].get("prev") != self.last:  # rewritten under us: start again
            self._reset(self.inode)
            self._follow(path)
            return
        self.offset += end
        self.last = entries[-1]["hash"]
        new = [e for e in entries if e["kind"] != "api_call"]
        if new:
            self.decisions += new
            self.state, self.tokens = fold(self.decisions), fold_tokens(self.decisions)


class AuditWriter:
    """Group commit of audit entries: a call hands its entry over and waits until it is in
    the log and fsynced, so no answer leaves before its entry is durable, and a crash loses
    only entries of calls not yet answered. One thread writes whatever calls are waiting,
    under one lock and one fsync; calls in one process never contend for the file lock."""

    def __init__(
        self, lake: Lake, timeout: float, appended: Any = None, gather: float = 0.0
    ) -> None:
        self.lake, self.timeout, self.appended = lake, timeout, appended
        self.waiting: list[list[Any]] = []
        self.cond = threading.Condition()
        self.thread: threading.Thread | None = None
        self.batches = self.entries = 0  # how many fsyncs for how many entries
        # seconds a batch waits for more entries when the one before held more than one (an
        # fsync, the log's lock and head.json cost far more than an entry)
        self.gather = gather

    def write(self, kind: str, actor: str, fields: dict[str, Any]) -> None:
        item: list[Any] = [kind, actor, fields, threading.Event(), None]
        self._hand(item)
        item[3].wait()
        if item[4] is not None:
            raise item[4]

    async def write_async(self, kind: str, actor: str, fields: dict[str, Any]) -> None:
        """``write`` for a call on the event loop: awaits the same fsync, no thread waits."""
        import asyncio

        done = asyncio.get_running_loop().create_future()
        self._hand([kind, actor, fields, done, None])
        await done

    def _hand(self, item: list[Any]) -> None:
        with self.cond:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._loop, daemon=True, name="audit")
                self.thread.start()
            self.waiting.append(item)
            self.cond.notify()

    def _loop(self) -> None:
        busy = False
        while True:
            with self.cond:
                while not self.waiting:
                    self.cond.wait()
            if busy and self.gather:  # calls are arriving together: more join this fsync
                time.sleep(self.gather)
            with self.cond:
                batch, self.waiting = self.waiting, []
            busy = len(batch) > 1
            self.batches, self.entries = self.batches + 1, self.entries + len(batch)
            try:
                path = log.log_path(self.lake)
                with log.locked(self.lake, timeout=self.timeout):
                    before = path.stat().st_size if path.exists() else 0
                    done = log.append_all(self.lake, [(k, a, f) for k, a, f, _, _ in batch])
                    after = path.stat().st_size
                if self.appended is not None and done:
                    self.appended(before, after, done[-1]["hash"])
            except Exception as exc:  # every waiting call fails with it (500), none is lost
                for item in batch:
                    item[4] = exc
            loops: dict[Any, list[list[Any]]] = {}
            for item in batch:
                if isinstance(item[3], threading.Event):
                    item[3].set()
                else:  # an event loop's future: settled in its loop, one wake-up per batch
                    loops.setdefault(item[3].get_loop(), []).append(item)
            for loop, items in loops.items():
                # (a loop that has closed meanwhile has no call waiting any more)
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(_settle, items)


def _settle(items: list[list[Any]]) -> None:
    for _, _, _, done, error in items:
        if not done.done():  # (a call cancelled meanwhile: its entry is written all the same)
            if error is not None:
                done.set_exception(error)
            else:
                done.set_result(None)


class Limiter:
    """Calls per key over a sliding minute (in this process). A key's first refusal in a
    window is audited; the rest of that window's refusals are not, so a flood cannot grow
    the log."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self.calls: dict[str, deque[float]] = {}
        self.told: dict[str, float] = {}
        self.guard = threading.Lock()

    def hit(self, key: str) -> tuple[int, bool] | None:
        """None if the call may go on; else (seconds to wait, whether to audit the refusal)."""
        now = time.monotonic()
        with self.guard:
            window = self.calls.setdefault(key, deque())
            while window and window[0] <= now - 60:
                window.popleft()
            if len(window) < self.per_minute:
                window.append(now)
                return None
            wait = max(1, math.ceil(window[0] + 60 - now))
            first = self.told.get(key, -math.inf) <= now - 60
            if first:
                self.told[key] = now
            return wait, first


@dataclasses.dataclass
class Answer:
    """A grant's whole answer for one version: projected exactly as a page is (granted
    columns, pseudonyms re-keyed for the grantee), in key order; ``keys`` are the source keys
    a cursor names, so a page is a binary search and a slice."""

    table: pa.Table
    keys: Any  # numpy int64, ascending
    chunks: dict[int, list[bytes]] = dataclasses.field(default_factory=dict)  # JSON rows
    encoded: int = 0  # bytes in ``chunks``

    @property
    def nbytes(self) -> int:
        return int(self.table.nbytes + self.keys.nbytes) + self.encoded

    def span(self, after: int, limit: int) -> tuple[int, int, int | None]:
        """Positions of the rows with key > ``after``, up to ``limit``; and the last key if
        more follow."""
        import numpy as np

        start = int(np.searchsorted(self.keys, after, side="right"))
        end = min(start + limit, len(self.keys))
        last = int(self.keys[end - 1]) if end < len(self.keys) and end > start else None
        return start, end, last

    def page(self, after: int, limit: int) -> tuple[pa.Table, int | None]:
        start, end, last = self.span(after, limit)
        return self.table.slice(start, end - start), last

    def json_rows(self, start: int, end: int) -> bytes:
        """Rows ``start``..``end`` as the comma-separated JSON objects of a page: each chunk
        of ``JSON_CHUNK`` rows encoded once (as ``_json_rows`` + msgspec encode them), when a
        page first needs it, and counted in ``nbytes``."""
        import msgspec

        out: list[bytes] = []
        for c in range(start // JSON_CHUNK, (end - 1) // JSON_CHUNK + 1) if end > start else ():
            rows = self.chunks.get(c)
            if rows is None:
                part = self.table.slice(c * JSON_CHUNK, JSON_CHUNK)
                rows = [msgspec.json.encode(r) for r in _json_rows(part)]
                self.chunks[c] = rows
                self.encoded += sum(map(len, rows)) + 40 * len(rows)  # + the objects' heads
            base = c * JSON_CHUNK
            out += rows[max(start - base, 0) : end - base]
        return b",".join(out)


def _scope_stamp(grant: Grant) -> str:
    """What of a grant shapes its answer (an amended grant gets a new cache entry)."""
    text = json.dumps([grant.grantee, grant.columns, sorted(grant.clear), grant.rows],
                      sort_keys=True, default=str)  # fmt: skip
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _answer(
    cur: Any, res: Shareable, grant: Grant, key: bytes, relation: str, select: list[str],
    keycol: str, where_text: str, params: list[Any],
) -> Answer:  # fmt: skip
    """The grant's scope (its columns and row conditions, in the query DuckDB runs) of the
    whole version, projected once."""
    names = ", ".join([*(_quote(c) for c in select), keycol])
    table = cur.execute(
        f"select {names} from {relation} where ({where_text}) order by {keycol}", params
    ).to_arrow_table()
    keys = table[keycol].combine_chunks().cast(pa.int64()).to_numpy(zero_copy_only=False)
    out = project(res, grant, table, key, _normalise).combine_chunks()
    return Answer(out, keys)


class AnswerCache:
    """Each grant's answer per (scope, resource version), least recently used first out,
    within a byte budget (``GOVLAKE_API_CACHE_BYTES``, per process). A new version of a
    resource drops the grant's entry of the old one at once (its cursors are refused anyway).
    One call builds an entry; concurrent calls for the same one wait for it. An answer larger
    than the budget is not kept: those calls page DuckDB as before."""

    def __init__(self, budget: int) -> None:
        from collections import OrderedDict

        self.budget = budget
        self.entries: OrderedDict[tuple[str, ...], Answer] = OrderedDict()
        self.building: dict[tuple[str, ...], threading.Lock] = {}
        self.guard = threading.Lock()
        self.too_big: set[tuple[str, ...]] = set()

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in self.entries.values())

    def peek(self, key: tuple[str, ...]) -> Answer | None:
        """The entry if it is made (most recently used now), without building it."""
        with self.guard:
            found = self.entries.get(key)
            if found is not None:
                self.entries.move_to_end(key)
            return found

    def get(self, key: tuple[str, ...], build: Any) -> Answer | None:
        if self.budget <= 0:
            return None
        with self.guard:
            found = self.entries.get(key)
            if found is not None:
                self.entries.move_to_end(key)
                return found
            if key in self.too_big:
                return None
            lock = self.building.setdefault(key, threading.Lock())
        with lock:
            with self.guard:
                found = self.entries.get(key)
                if found is None and key in self.too_big:
                    return None
            if found is not None:
                return found
            answer = build()
            with self.guard:
                self.building.pop(key, None)
                for old in [k for k in self.entries if k[:3] == key[:3] and k != key]:
                    del self.entries[old]  # the grant's answer of an older version
                if answer.nbytes > self.budget:
                    self.too_big.add(key)
                    return answer  # served to this call and the ones waiting, then dropped
                self.entries[key] = answer
                used = self.nbytes
                while used > self.budget:
                    _, gone = self.entries.popitem(last=False)
                    used -= gone.nbytes
            return answer


_NFKC_NAME = "govlake_nfkc_changed"


def _nfkc_changed(values: pa.Array) -> pa.Array:
    """NFKC and trimmed, as deliveries compare; null where that changes nothing (most values),
    so the cached table holds a second copy only of the values a department sent noisy."""
    values = values.cast(pa.string())
    out = pc.utf8_trim_whitespace(pc.utf8_normalize(values, "NFKC"))
    return pc.if_else(pc.equal(out, values), pa.nulls(len(values), pa.string()), out)


@dataclasses.dataclass
class Version:
    """A department resource's current version as one DuckDB table (``__pos``: its key)."""

    id: str
    table: str
    rows: int
    columns: set[str]


class DepartmentCache:
    """Each department resource's current version (accepted parts minus superseded batches,
    anti-joined on the deletion vectors, as dbt staging reads them), read by DuckDB from the
    Parquet into a table of one in-memory database once per version; calls page it with the
    grant's conditions and the cursor in SQL. ``__pos`` numbers the rows in (batch, source
    row) order; ``__n_<column>`` holds the NFKC-trimmed value where it differs from the
    delivered one (DuckDB has NFC but no NFKC: an Arrow function computes it, once)."""

    def __init__(self, lake: Lake) -> None:
        import duckdb

        self.lake = lake
        self.db = duckdb.connect()
        builder = self.db.cursor()
        builder.create_function(
            _NFKC_NAME, _nfkc_changed, ["VARCHAR"], "VARCHAR", type="arrow",
            null_handling="special",
        )  # fmt: skip
        self.builder = builder
        self.guard = threading.Lock()
        self.versions: dict[str, Version] = {}
        self.retired: list[str] = []
        self.roots: dict[str, tuple[str, str]] = {}  # resource → accepted, deletes folders
        self.manifests: dict[str, str] = {}  # resource → its manifest folder
        self.read: dict[str, tuple[Any, set[str]]] = {}  # resource → (folder stamp, superseded)

    def parts(self, res: Shareable) -> tuple[str, list[tuple[Any, Any]]]:
        """(version id, [(part, deletion vector or None)]) of the current batches."""
        found, stamp = [], []
        root, deleted = self.roots.get(res.id) or self.roots.setdefault(
            res.id, (str(self.lake.accepted(res.id)), str(self.lake.accepted_deletes(res.id)))
        )
        for b in department_batches(self.lake, res.id, self.superseded(res.id)):  # per call
            where = f"/batch_date={b.date}/part-{b.id}.parquet"
            part, deletes = Path(f"{root}{where}"), f"{deleted}{where}"
            try:
                gone_at = os.stat(deletes).st_mtime_ns
            except FileNotFoundError:
                gone_at = 0
            found.append((part, Path(deletes) if gone_at else None))
            stamp.append([b.id, os.stat(part).st_mtime_ns, gone_at])
        return hashlib.sha256(json.dumps(stamp).encode()).hexdigest()[:16], found

    def superseded(self, resource: str) -> set[str]:
        """The resource's superseded batches, read again from its manifest only when the
        manifest's folder has changed: every entry is written aside and renamed in, which
        changes the folder's mtime. A folder changed in the last ``SETTLE_NS`` is read on
        every call (a second change within one tick of the clock could keep its mtime)."""
        folder = self.manifests.get(resource)
        if folder is None:
            folder = self.manifests[resource] = str(self.lake.manifest(resource))
        try:
            st = os.stat(folder)
            stamp: tuple[int, int] | None = (st.st_ino, st.st_mtime_ns)
        except FileNotFoundError:
            stamp = None
        known = self.read.get(resource)
        if known is not None and known[0] == stamp:
            return known[1]
        found = set(superseded_batches(self.lake, resource))
        if stamp is None or time.time_ns() - stamp[1] > SETTLE_NS:
            self.read[resource] = (stamp, found)
        else:
            self.read.pop(resource, None)
        return found

    def current(self, res: Shareable) -> str | None:
        """The current version's id if its table is made (else None: ``version`` makes it)."""
        vid, _ = self.parts(res)
        known = self.versions.get(res.id)
        return vid if known is not None and known.id == vid else None

    def version(self, res: Shareable) -> Version:
        vid, parts = self.parts(res)
        known = self.versions.get(res.id)
        if known is not None and known.id == vid:
            return known
        with self.guard:  # one build per version; other callers wait for it
            known = self.versions.get(res.id)
            if known is not None and known.id == vid:
                return known
            made = self._build(res, vid, parts)
            if known is not None:
                self.retired.append(known.table)
            while len(self.retired) > 1:  # the one before stays for calls still reading it
                self.builder.execute(f"drop table if exists {self.retired.pop(0)}")
            self.versions[res.id] = made
            return made

    def _build(self, res: Shareable, vid: str, parts: list[tuple[Any, Any]]) -> Version:
        table = _quote(f"v_{res.id}_{vid}")
        if not parts:
            self.builder.execute(f"create or replace table {table} (__pos bigint)")
            return Version(vid, table, 0, set())
        selects = []
        for n, (part, deletes) in enumerate(parts):
            one = f"select {n}::bigint as __batch, * from read_parquet({_literal(part)})"
            if deletes is not None:
                one += f" anti join read_parquet({_literal(deletes)}) as d using (_source_row)"
            selects.append(one)
        union = " union all by name ".join(selects)
        present = {r[0] for r in self.builder.execute(f"describe {union}").fetchall()}
        keep = [c for c in present if not c.startswith("__")]
        norm = [
            f"{_NFKC_NAME}(cast({_quote(c)} as varchar)) as {_quote('__n_' + c)}"
            for c, col in res.column_map.items()
            if c in present and not col.personal
        ]
        self.builder.execute(
            f"create or replace table {table} as select row_number() over "
            f"(order by __batch, _source_row) as __pos, "
            f"{', '.join([*(_quote(c) for c in keep), *norm])} "
            f"from ({union}) order by __pos"
        )
        rows = self.builder.execute(f"select count(*) from {table}").fetchone()[0]
        return Version(vid, table, int(rows), present)


class _Lazy:
    """A DuckDB cursor made on first use: a page from a cached answer needs none."""

    def __init__(self, make: Any) -> None:
        self.make, self.cur = make, None

    def execute(self, *args: Any) -> Any:
        if self.cur is None:
            self.cur = self.make()
        return self.cur.execute(*args)


def _literal(path: Any) -> str:
    return "'" + str(path).replace("'", "''") + "'"


class Warehouse:
    """One read-only connection to the warehouse, reopened when a build has swapped the file
    (another inode or mtime): calls take a cursor of it, so none pays the open."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.guard = threading.Lock()
        self.stamp: tuple[int, int] | None = None
        self.con: Any = None
        self.version = ""

    def current(self) -> str | None:
        """The version of the open connection if the file is still the one it opened (else
        None: ``cursor`` reopens it)."""
        st = self.settings.warehouse.stat()
        with self.guard:
            if self.con is not None and self.stamp == (st.st_ino, st.st_mtime_ns):
                return self.version
            return None

    def cursor(self) -> tuple[Any, str]:
        from govlake.transform.query import connect_analyst

        st = self.settings.warehouse.stat()
        with self.guard:
            if self.con is None or self.stamp != (st.st_ino, st.st_mtime_ns):
                con = connect_analyst(self.settings)  # the old one closes with its last cursor
                rows = con.execute("select files from _govlake.build_state").fetchall()
                text = rows[0][0] if rows else ""
                self.version = hashlib.sha256(text.encode()).hexdigest()[:16]
                self.con, self.stamp = con, (st.st_ino, st.st_mtime_ns)
            return self.con.cursor(), self.version


def _windows(
    cur: Any,
    relation: str,
    select: list[str],
    key: str,
    where: str,
    params: list[Any],
    after: int,
    limit: int,
    top: int,
) -> tuple[pa.Table, int | None]:
    """Rows ``after < key`` in key order, up to ``limit``, and the key of the last row if more
    follow. The key is dense (row positions), so a window of keys is a range DuckDB prunes by
    its zone maps instead of sorting every row past the cursor; windows double until the page
    is full or the table ends."""
    names = ", ".join([*(_quote(c) for c in select), key])
    got: list[pa.Table] = []
    count, start, width = 0, after, max(4 * limit, 1024)
    while start < top and count <= limit:
        t = cur.execute(
            f"select {names} from {relation} where ({where}) and {key} > ? and {key} <= ? "
            f"order by {key} limit {limit + 1 - count}",
            [*params, start, start + width],
        ).to_arrow_table()
        got.append(t)
        count += t.num_rows
        start += width
        width *= 2
    table = pa.concat_tables(got) if got else pa.table({c: [] for c in [*select, key]})
    if table.num_rows > limit:
        table = table.slice(0, limit)
        return table, int(table[key][limit - 1].as_py())
    return table, None


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


def warm(app: FastAPI, rules: Rules | None = None) -> None:
    """Build the department versions the active grants read, so the first caller of each
    does not wait for it (a serving process calls this in a thread at start)."""
    from govlake.exchange import load_rules

    rules = rules or load_rules()
    cache: DepartmentCache = app.state.departments
    state = read_state(cache.lake)
    for g in state.grants.values():
        res = rules.resources.get(g.resource)
        if res is not None and res.layer == "department" and g.status(today()) == "active":
            cache.version(res)


def serving_app() -> FastAPI:
    """The app of one serving process (uvicorn's factory: each worker makes its own), its
    department versions warmed in a thread."""
    app = create_app()
    threading.Thread(target=warm, args=(app,), daemon=True, name="api-warm").start()
    return app


def serve(
    host: str = "127.0.0.1",
    port: int = 8800,
    settings: Settings | None = None,
    workers: int = 1,
) -> None:
    """Serve the API with uvicorn on uvloop + httptools (loopback by default: a department
    reaches it through the district's gateway, not directly). With ``workers`` > 1 each
    worker process makes its own app from the environment (GOVLAKE_*): ``settings`` given
    here are passed on as environment variables; the audit log's lock and hash chain are
    shared through the lake, limits and caches are per worker."""
    import uvicorn

    options: dict[str, Any] = dict(
        host=host, port=port, log_level="warning", loop="uvloop", http="httptools",
        timeout_keep_alive=30,  # a department system keeps its connection between pages
    )  # fmt: skip
    if workers > 1:
        if settings is not None:
            for name in ("api_calls_per_minute", "api_page_limit", "api_cache_bytes",
                         "api_audit_gather_ms"):  # fmt: skip
                os.environ[f"GOVLAKE_{name.upper()}"] = str(getattr(settings, name))
        uvicorn.run(f"{__name__}:serving_app", factory=True, workers=workers, **options)
        return
    app = create_app(settings=settings)
    threading.Thread(target=warm, args=(app,), daemon=True, name="api-warm").start()
    uvicorn.run(app, **options)
