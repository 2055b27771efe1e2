"""The sample exchange activity (``catalog/exchange/sample.yml``), recorded through the same
commands departments use, once per lake: ``govlake sample`` calls it, so ``make run`` delivers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from govlake.exchange.rules import ExchangeError, Rules, parse_condition
from govlake.exchange.state import Exchange, today
from govlake.lake import Lake
from govlake.register import load_yaml

SAMPLE_FILE = "exchange/sample.yml"
BY = "sample"


def seed_sample(rules: Rules, lake: Lake, register_dir: Path) -> dict[str, int]:
    """Record the sample subscriptions, requests (and decisions) and demands, unless the lake's
    exchange already has any activity. Returns how many of each were recorded."""
    path = register_dir / SAMPLE_FILE
    ex = Exchange(rules, lake)
    state = ex.state()
    counts = {"subscriptions": 0, "requests": 0, "demands": 0}
    if not path.exists() or state.grants or state.requests or state.demands:
        return counts
    data: dict[str, Any] = load_yaml(path.read_text(encoding="utf-8")) or {}
    try:
        for s in data.get("subscriptions") or []:
            ex.subscribe(s["grantee"], s["resource"], csv=bool(s.get("csv")), by=BY)
            counts["subscriptions"] += 1
        for r in data.get("requests") or []:
            until = (today() + dt.timedelta(days=int(r["days"]))).isoformat()
            req = ex.request(
                r["requester"], r["resource"], purpose=r["purpose"],
                legal_basis=r["legal_basis"], until=until, columns=r.get("columns"),
                rows=[parse_condition(c) for c in r.get("rows") or []],
                csv=bool(r.get("csv")), by=BY,
            )  # fmt: skip
            decision = r.get("decision") or {}
            if "approve" in decision:
                ex.approve(req.id, decision["approve"], reason=decision.get("reason"), by=BY)
            elif "reject" in decision:
                ex.reject(req.id, decision["reject"], reason=decision["reason"], by=BY)
            counts["requests"] += 1
        for d in data.get("demands") or []:
            ex.demand(
                d["department"], what=d["what"], why=d["why"], holder=d.get("holder"),
                wants=d.get("wants"), by=BY,
            )  # fmt: skip
            counts["demands"] += 1
    except (ExchangeError, KeyError) as exc:
        raise ExchangeError(f"{path}: {type(exc).__name__}: {exc}") from None
    return counts
