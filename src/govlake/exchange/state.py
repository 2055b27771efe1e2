"""Requests, decisions, grants and demands: commands that check the rules and append to the log,
and the current state folded from it.

A command reads the state and appends under the log's lock, so two decisions on one request
cannot both pass. Nothing is updated in place: a decision, revocation or closed demand is a new
entry naming the one it concerns, so ``history`` shows who did what, when and why.
"""

from __future__ import annotations

import datetime as dt
import getpass
from dataclasses import dataclass, field
from typing import Any

from govlake.exchange import log
from govlake.exchange.rules import (
    SUBSCRIPTION_BASIS,
    ExchangeError,
    Rules,
    check_rows,
    describe_rows,
    scope_columns,
)
from govlake.lake import Lake
from govlake.register import ShareType

BEIJING = dt.timezone(dt.timedelta(hours=8))


def today() -> dt.date:
    return dt.datetime.now(BEIJING).date()


@dataclass
class Request:
    id: str
    requester: str
    resource: str
    provider: str
    columns: list[str]
    clear: list[str]
    rows: list[dict[str, Any]]
    purpose: str
    legal_basis: str
    valid_from: str
    valid_until: str | None
    csv: bool
    at: str
    status: str = "pending"  # pending / approved / rejected
    decided_by: str | None = None
    decided_at: str | None = None
    reason: str | None = None
    grant: str | None = None


@dataclass
class Grant:
    id: str
    grantee: str
    resource: str
    provider: str
    columns: list[str]
    clear: list[str]
    rows: list[dict[str, Any]]
    legal_basis: str
    valid_from: str
    valid_until: str | None
    csv: bool
    source: str  # "subscription" or the request id
    at: str
    ended: str | None = None  # revoked / superseded
    ended_at: str | None = None
    ended_by: str | None = None
    reason: str | None = None

    def status(self, on: dt.date) -> str:
        """active / revoked / superseded / expired / not_started, on the given day."""
        if self.ended:
            return self.ended
        if self.valid_until and on > dt.date.fromisoformat(self.valid_until):
            return "expired"
        if on < dt.date.fromisoformat(self.valid_from):
            return "not_started"
        return "active"

    @property
    def rows_text(self) -> str:
        return describe_rows(self.rows)


@dataclass
class Demand:
    id: str
    department: str
    what: str
    why: str
    holder: str | None
    wants: list[str]
    at: str
    status: str = "open"  # open / closed
    resource: str | None = None
    closed_at: str | None = None
    closed_by: str | None = None
    reason: str | None = None


@dataclass
class Refusal:
    requester: str
    resource: str
    reason: str
    at: str


@dataclass
class State:
    requests: dict[str, Request] = field(default_factory=dict)
    grants: dict[str, Grant] = field(default_factory=dict)
    demands: dict[str, Demand] = field(default_factory=dict)
    refusals: list[Refusal] = field(default_factory=list)
    deliveries: list[dict[str, Any]] = field(default_factory=list)  # receipts, in order
    retractions: list[dict[str, Any]] = field(default_factory=list)  # superseded batches told

    def delivered(self) -> set[tuple[str, str, str]]:
        """(grantee, resource, batch) already delivered: a batch goes to a department once."""
        return {(d["grantee"], d["resource"], d["batch"]) for d in self.deliveries}

    def active_grant(self, grantee: str, resource: str, on: dt.date) -> Grant | None:
        return next(
            (
                g
                for g in self.grants.values()
                if g.grantee == grantee and g.resource == resource and g.status(on) == "active"
            ),
            None,
        )

    def next_id(self, prefix: str, table: dict[str, Any]) -> str:
        return f"{prefix}-{len(table) + 1:04d}"


def fold(entries: list[dict[str, Any]]) -> State:
    """The current state from the log's entries, in order."""
    s = State()
    for e in entries:
        kind = e["kind"]
        if kind == "request":
            s.requests[e["id"]] = Request(
                e["id"], e["requester"], e["resource"], e["provider"], e["columns"], e["clear"],
                e["rows"], e["purpose"], e["legal_basis"], e["valid_from"], e["valid_until"],
                e["csv"], e["at"],
            )  # fmt: skip
        elif kind == "decision":
            r = s.requests[e["request"]]
            r.status, r.decided_by, r.decided_at = e["decision"], e["actor"], e["at"]
            r.reason, r.grant = e.get("reason"), e.get("grant")
        elif kind == "grant":
            s.grants[e["id"]] = Grant(
                e["id"], e["grantee"], e["resource"], e["provider"], e["columns"], e["clear"],
                e["rows"], e["legal_basis"], e["valid_from"], e["valid_until"], e["csv"],
                e["source"], e["at"],
            )  # fmt: skip
        elif kind == "grant_ended":
            g = s.grants[e["grant"]]
            g.ended, g.ended_at, g.ended_by, g.reason = e["how"], e["at"], e["actor"], e["reason"]
        elif kind == "demand":
            s.demands[e["id"]] = Demand(
                e["id"], e["department"], e["what"], e["why"], e.get("holder"), e["wants"],
                e["at"],
            )  # fmt: skip
        elif kind == "demand_closed":
            d = s.demands[e["demand"]]
            d.status, d.resource, d.closed_at = "closed", e["resource"], e["at"]
            d.closed_by, d.reason = e["actor"], e.get("reason")
        elif kind == "refusal":
            s.refusals.append(Refusal(e["requester"], e["resource"], e["reason"], e["at"]))
        elif kind == "delivery":
            s.deliveries.append(e)
        elif kind == "retraction":
            s.retractions.append(e)
    return s


def read_state(lake: Lake) -> State:
    return fold(log.read_log(lake))


def operator() -> str:
    """Who at the department did it (the account running the command)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _period(valid_from: str | None, valid_until: str | None, required: bool) -> tuple[str, str]:
    try:
        start = dt.date.fromisoformat(valid_from) if valid_from else today()
        end = dt.date.fromisoformat(valid_until) if valid_until else None
    except ValueError as exc:
        raise ExchangeError(f"period: {exc} (dates are YYYY-MM-DD)") from None
    if required and end is None:
        raise ExchangeError("a request needs the end of its period (--until YYYY-MM-DD)")
    if end is not None and end < start:
        raise ExchangeError(f"period ends ({end}) before it starts ({start})")
    return start.isoformat(), end.isoformat() if end else None


class Exchange:
    """The exchange's commands on one lake, under the rules of one register."""

    def __init__(self, rules: Rules, lake: Lake) -> None:
        self.rules, self.lake = rules, lake

    def state(self) -> State:
        return read_state(self.lake)

    def _refuse(self, requester: str, resource: Any, by: str | None) -> None:
        if resource.refusal:
            with log.locked(self.lake):
                log.append(
                    self.lake, "refusal", requester, by=by or operator(), requester=requester,
                    resource=resource.id, reason=resource.refusal,
                )  # fmt: skip
            raise ExchangeError(f"refused: {resource.refusal}")

    def subscribe(
        self,
        grantee: str,
        resource_id: str,
        *,
        columns: list[str] | None = None,
        rows: list[dict[str, Any]] | None = None,
        csv: bool = False,
        until: str | None = None,
        by: str | None = None,
    ) -> Grant:
        """无条件共享: granted at once, no personal field in clear."""
        grantee = self.rules.department(grantee)
        res = self.rules.resource(resource_id)
        self._refuse(grantee, res, by)
        if res.share_type is not ShareType.unconditional:
            raise ExchangeError(
                f"resource {res.id} is {res.share_type.value}: subscriptions are for 无条件共享 "
                "resources; send a request (govlake exchange request) for the provider to decide"
            )
        if grantee == res.provider:
            raise ExchangeError(f"{grantee} provides {res.id} itself: nothing to subscribe to")
        granted, clear = scope_columns(res, columns, personal_allowed=False)
        conditions = check_rows(res, rows or [])
        start, end = _period(None, until, required=False)
        with log.locked(self.lake):
            state = self.state()
            held = state.active_grant(grantee, res.id, today())
            if held:
                raise ExchangeError(
                    f"{grantee} already holds grant {held.id} on {res.id}: revoke it first"
                )
            gid = state.next_id("GR", state.grants)
            entry = log.append(
                self.lake, "grant", grantee, by=by or operator(), id=gid, grantee=grantee,
                resource=res.id, code=res.code, provider=res.provider, columns=granted,
                clear=clear, rows=conditions, legal_basis=SUBSCRIPTION_BASIS, valid_from=start,
                valid_until=end, csv=csv, source="subscription",
                why="无条件共享: subscribed, granted at once",
            )  # fmt: skip
        return fold([entry]).grants[gid]

    def request(
        self,
        requester: str,
        resource_id: str,
        *,
        purpose: str,
        legal_basis: str,
        until: str | None,
        columns: list[str] | None = None,
        rows: list[dict[str, Any]] | None = None,
        start: str | None = None,
        csv: bool = False,
        by: str | None = None,
    ) -> Request:
        """A request for the provider to approve or reject."""
        requester = self.rules.department(requester)
        res = self.rules.resource(resource_id)
        self._refuse(requester, res, by)
        if requester == res.provider:
            raise ExchangeError(f"{requester} provides {res.id} itself: nothing to request")
        if not purpose or not purpose.strip():
            raise ExchangeError("a request states its purpose (--purpose)")
        basis = self.rules.basis(legal_basis)
        granted, clear = scope_columns(res, columns, personal_allowed=basis.personal)
        conditions = check_rows(res, rows or [])
        begin, end = _period(start, until, required=True)
        with log.locked(self.lake):
            state = self.state()
            rid = state.next_id("REQ", state.requests)
            entry = log.append(
                self.lake, "request", requester, by=by or operator(), id=rid,
                requester=requester, resource=res.id, code=res.code, provider=res.provider,
                columns=granted, clear=clear, rows=conditions, purpose=purpose.strip(),
                legal_basis=basis.id, valid_from=begin, valid_until=end, csv=csv,
            )  # fmt: skip
        return fold([entry]).requests[rid]

    def _pending(self, state: State, request_id: str, actor: str) -> Request:
        req = state.requests.get(request_id)
        if req is None:
            raise ExchangeError(
                f"unknown request {request_id!r}; known: {', '.join(state.requests) or 'none'}"
            )
        if req.status != "pending":
            raise ExchangeError(
                f"request {request_id} is already {req.status} (by {req.decided_by} at "
                f"{req.decided_at})"
            )
        if actor != req.provider:
            raise ExchangeError(
                f"only the provider of {req.resource} ({req.provider}) decides request "
                f"{request_id}, not {actor}"
            )
        return req

    def approve(
        self,
        request_id: str,
        actor: str,
        *,
        columns: list[str] | None = None,
        reason: str | None = None,
        by: str | None = None,
    ) -> Grant:
        """The provider approves; it may grant fewer columns than were asked for."""
        actor = self.rules.department(actor)
        with log.locked(self.lake):
            state = self.state()
            req = self._pending(state, request_id, actor)
            res = self.rules.resource(req.resource)
            if res.refusal:  # the register changed since the request
                raise ExchangeError(f"cannot approve {request_id}: {res.refusal}")
            granted, clear = req.columns, req.clear
            if columns:  # fewer columns; `<identifier>_key`: its pseudonym instead of clear
                names: list[str] = []
                keyed: set[str] = set()
                for c in columns:
                    base = c.removesuffix("_key")
                    if c not in res.column_map and c != base and base in res.column_map:
                        names.append(base)
                        keyed.add(base)
                    else:
                        names.append(res.column(c).name)
                extra = [c for c in names if c not in req.columns]
                if extra:
                    raise ExchangeError(
                        f"request {request_id} did not ask for {', '.join(extra)}: an approval "
                        "grants at most what was asked"
                    )
                granted = [c for c in req.columns if c in names]
                clear = [c for c in req.clear if c in names and c not in keyed]
            gid = state.next_id("GR", state.grants)
            when = today()
            held = state.active_grant(req.requester, res.id, when)
            log.append(
                self.lake, "decision", actor, by=by or operator(), request=request_id,
                decision="approved", grant=gid, reason=reason or "approved",
            )  # fmt: skip
            if held:
                log.append(
                    self.lake, "grant_ended", actor, by=by or operator(), grant=held.id,
                    how="superseded", reason=f"replaced by {gid} (request {request_id})",
                )  # fmt: skip
            entry = log.append(
                self.lake, "grant", actor, by=by or operator(), id=gid, grantee=req.requester,
                resource=res.id, code=res.code, provider=res.provider, columns=granted,
                clear=clear, rows=req.rows, legal_basis=req.legal_basis,
                valid_from=req.valid_from, valid_until=req.valid_until, csv=req.csv,
                source=request_id, why=req.purpose,
            )  # fmt: skip
        return fold([entry]).grants[gid]

    def reject(self, request_id: str, actor: str, *, reason: str, by: str | None = None) -> None:
        actor = self.rules.department(actor)
        if not reason or not reason.strip():
            raise ExchangeError("a rejection gives its reason (--reason)")
        with log.locked(self.lake):
            self._pending(self.state(), request_id, actor)
            log.append(
                self.lake, "decision", actor, by=by or operator(), request=request_id,
                decision="rejected", reason=reason.strip(),
            )  # fmt: skip

    def revoke(self, grant_id: str, actor: str, *, reason: str, by: str | None = None) -> None:
        """The provider (or the grantee, giving it up) ends a grant: no further deliveries."""
        actor = self.rules.department(actor)
        if not reason or not reason.strip():
            raise ExchangeError("a revocation gives its reason (--reason)")
        with log.locked(self.lake):
            state = self.state()
            g = state.grants.get(grant_id)
            if g is None:
                raise ExchangeError(
                    f"unknown grant {grant_id!r}; known: {', '.join(state.grants) or 'none'}"
                )
            if actor not in (g.provider, g.grantee):
                raise ExchangeError(
                    f"only {g.provider} (provider) or {g.grantee} (grantee) may revoke "
                    f"{grant_id}, not {actor}"
                )
            if g.ended:
                raise ExchangeError(f"grant {grant_id} is already {g.ended} ({g.ended_at})")
            log.append(
                self.lake, "grant_ended", actor, by=by or operator(), grant=grant_id,
                how="revoked", reason=reason.strip(),
            )  # fmt: skip

    def demand(
        self,
        department: str,
        *,
        what: str,
        why: str,
        holder: str | None = None,
        wants: list[str] | None = None,
        by: str | None = None,
    ) -> Demand:
        """需求清单: data no resource provides yet; ``wants`` are the 信息项 it needs."""
        department = self.rules.department(department)
        if holder:
            holder = holder.strip()  # may be a department not registered yet: kept as text
        if not what.strip() or not why.strip():
            raise ExchangeError("a demand says what is needed (--what) and why (--why)")
        with log.locked(self.lake):
            state = self.state()
            did = state.next_id("DEM", state.demands)
            entry = log.append(
                self.lake, "demand", department, by=by or operator(), id=did,
                department=department, what=what.strip(), why=why.strip(), holder=holder,
                wants=[w.strip() for w in wants or [] if w.strip()],
            )  # fmt: skip
        return fold([entry]).demands[did]

    def close_demand(
        self, demand_id: str, resource_id: str, actor: str, *, by: str | None = None
    ) -> None:
        """供需对接 by hand: a registered resource meets the demand."""
        actor = self.rules.department(actor)
        res = self.rules.resource(resource_id)
        with log.locked(self.lake):
            d = self._open_demand(self.state(), demand_id)
            log.append(
                self.lake, "demand_closed", actor, by=by or operator(), demand=d.id,
                resource=res.id, code=res.code, reason=f"met by {res.name} ({res.code})",
            )  # fmt: skip

    @staticmethod
    def _open_demand(state: State, demand_id: str) -> Demand:
        d = state.demands.get(demand_id)
        if d is None:
            raise ExchangeError(
                f"unknown demand {demand_id!r}; known: {', '.join(state.demands) or 'none'}"
            )
        if d.status != "open":
            raise ExchangeError(f"demand {demand_id} is already closed ({d.reason})")
        return d

    def match_demands(self) -> list[tuple[str, str]]:
        """Close every open demand a shareable resource now meets (供需对接): one that holds
        every wanted 信息项 (by label or name), from the named holder when it is registered.
        Returns (demand, resource) pairs closed."""
        closed = []
        with log.locked(self.lake):
            state = self.state()
            for d in state.demands.values():
                if d.status != "open" or not d.wants:
                    continue
                found = self._meets(d)
                if found is not None:
                    log.append(
                        self.lake, "demand_closed", "system", by="govlake", demand=d.id,
                        resource=found.id, code=found.code,
                        reason=f"供需对接: {found.name} ({found.code}) holds "
                        + "、".join(d.wants),
                    )  # fmt: skip
                    closed.append((d.id, found.id))
        return closed

    def _meets(self, d: Demand) -> Any:
        holder = d.holder if d.holder in self.rules.register.departments else None
        for res in self.rules.resources.values():
            if res.refusal or (holder and res.provider != holder):
                continue
            names = {c.name for c in res.columns} | {c.label for c in res.columns if c.label}
            if all(w in names for w in d.wants):
                return res
        return None
