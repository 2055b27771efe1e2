"""What the catalogue site shows of the exchange, folded from the log: per resource its grants
and recent deliveries, per department what it receives, its open requests and its demands,
and the demand list (需求清单). Plain rows, so the templates need no exchange code."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from govlake.exchange.state import Grant, State, read_state
from govlake.lake import Lake

RECENT = 10  # deliveries shown per resource and per department
BEIJING = dt.timezone(dt.timedelta(hours=8), "北京时间")
STATUS = {
    "active": ("有效", "active"),
    "expired": ("已到期", "expired"),
    "revoked": ("已撤销", "revoked"),
    "superseded": ("已替换", "superseded"),
    "not_started": ("未生效", "not started"),
    "pending": ("待审批", "pending"),
    "approved": ("已批准", "approved"),
    "rejected": ("已驳回", "rejected"),
    "open": ("待对接", "open"),
    "closed": ("已对接", "met"),
}


def local(at: str) -> str:
    return dt.datetime.fromisoformat(at).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


@dataclass
class ExchangeView:
    on: dt.date
    grants_by_resource: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    deliveries_by_resource: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    receives: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    gives: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # as the provider
    deliveries_to: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    requests_by: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    requests_to: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    demands_by: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    demands: list[dict[str, Any]] = field(default_factory=list)
    pending: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def _grant_row(g: Grant, on: dt.date) -> dict[str, Any]:
    status = g.status(on)
    return {
        "id": g.id,
        "grantee": g.grantee,
        "provider": g.provider,
        "resource": g.resource,
        "status": status,
        "status_label": STATUS.get(status, (status, status)),
        "columns": g.columns,
        "in_clear": g.clear,
        "rows": g.rows_text,
        "period": f"{g.valid_from} – {g.valid_until or '长期 (open-ended)'}",
        "source": "订阅 subscription" if g.source == "subscription" else g.source,
        "reason": g.reason,
    }


def build_view(state: State, on: dt.date) -> ExchangeView:
    v = ExchangeView(on)
    for g in state.grants.values():
        row = _grant_row(g, on)
        v.grants_by_resource.setdefault(g.resource, []).append(row)
        v.receives.setdefault(g.grantee, []).append(row)
        v.gives.setdefault(g.provider, []).append(row)
    for e in reversed(state.deliveries):
        row = {
            "at": local(e["at"]), "grant": e["grant"], "grantee": e["grantee"],
            "resource": e["resource"], "batch": e["batch"], "rows": e["rows"],
            "columns": e["columns"], "sha256": e["sha256"],
        }  # fmt: skip
        by_res = v.deliveries_by_resource.setdefault(e["resource"], [])
        if len(by_res) < RECENT:
            by_res.append(row)
        to = v.deliveries_to.setdefault(e["grantee"], [])
        if len(to) < RECENT:
            to.append(row)
    for r in state.requests.values():
        row = {
            "id": r.id, "requester": r.requester, "provider": r.provider, "resource": r.resource,
            "status": r.status, "status_label": STATUS[r.status], "columns": r.columns,
            "rows": _rows(r.rows), "purpose": r.purpose, "legal_basis": r.legal_basis,
            "period": f"{r.valid_from} – {r.valid_until}", "at": local(r.at),
            "reason": r.reason,
        }  # fmt: skip
        if r.status == "pending":
            v.pending.append(row)
            v.requests_by.setdefault(r.requester, []).append(row)
            v.requests_to.setdefault(r.provider, []).append(row)
    for d in state.demands.values():
        row = {
            "id": d.id, "department": d.department, "what": d.what, "why": d.why,
            "holder": d.holder, "wants": d.wants, "status": d.status,
            "status_label": STATUS[d.status], "resource": d.resource, "at": local(d.at),
            "reason": d.reason,
        }  # fmt: skip
        v.demands.append(row)
        v.demands_by.setdefault(d.department, []).append(row)
    v.counts = {
        "active_grants": sum(g.status(on) == "active" for g in state.grants.values()),
        "deliveries": len(state.deliveries),
        "pending": len(v.pending),
        "open_demands": sum(d.status == "open" for d in state.demands.values()),
    }
    return v


def _rows(rows: list[dict[str, Any]]) -> str:
    from govlake.exchange.rules import describe_rows

    return describe_rows(rows)


def read_view(lake: Lake, on: dt.date | None = None) -> ExchangeView:
    from govlake.exchange.state import today

    return build_view(read_state(lake), on or today())
