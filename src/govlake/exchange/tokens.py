"""API tokens (接口令牌): per grant or per department, shown once, kept only as a sha256 hash in
the exchange log.

A token is a bearer secret for the read API (``api.py``). Its creation (``token``) and revocation
(``token_revoked``) are log entries like every other decision, so the same hash chain proves who
issued or withdrew which token and when; the clear token is never written anywhere. A token is
looked up by its hash; it reads only what its grant allows, and nothing once the grant or the
token has ended. A department token (``grant`` None) covers every grant its department holds at
the time of each call: the call is served, and audited, under the one grant of the resource read.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from govlake.exchange import log
from govlake.exchange.rules import ExchangeError
from govlake.exchange.state import operator, read_state
from govlake.lake import Lake

PREFIX = "glx_"  # recognisable in a leaked config file or a secret scanner's rules


@dataclass
class Token:
    id: str
    grant: str | None  # None: a department token (all the grantee's active grants)
    grantee: str
    resource: str | None
    sha256: str
    at: str
    revoked_at: str | None = None
    revoked_by: str | None = None
    reason: str | None = None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def fold_tokens(entries: list[dict[str, Any]]) -> dict[str, Token]:
    """Token id → token, from the log's ``token`` and ``token_revoked`` entries."""
    out: dict[str, Token] = {}
    for e in entries:
        if e["kind"] == "token":
            out[e["id"]] = Token(
                e["id"], e.get("grant"), e["grantee"], e.get("resource"), e["sha256"], e["at"]
            )
        elif e["kind"] == "token_revoked":
            t = out[e["token"]]
            t.revoked_at, t.revoked_by, t.reason = e["at"], e["actor"], e["reason"]
    return out


def read_tokens(lake: Lake) -> dict[str, Token]:
    return fold_tokens(log.read_log(lake))


def lookup(lake: Lake, token: str) -> Token | None:
    """The token whose hash this is (compared in constant time), or None."""
    return find(read_tokens(lake).values(), token)


def find(tokens: Any, token: str) -> Token | None:
    """The token among ``tokens`` whose hash is the hash of ``token`` (constant-time compare)."""
    digest = token_hash(token)
    found = None
    for t in tokens:
        if secrets.compare_digest(t.sha256, digest):
            found = t
    return found


def create_token(
    lake: Lake,
    grant_id: str | None,
    actor: str,
    *,
    by: str | None = None,
    department: str | None = None,
) -> tuple[str, Token]:
    """A new token for the grantee of ``grant_id`` (the grantee asks for it), or with
    ``department`` (and no grant) one covering all that department's grants:
    (clear token, record). The clear token is returned once and never stored."""
    if department is not None:
        return _department_token(lake, department, actor, by=by)
    if grant_id is None:
        raise ExchangeError("a token is for a grant (--grant) or a department (--department)")
    with log.locked(lake):
        state = read_state(lake)
        grant = state.grants.get(grant_id)
        if grant is None:
            known = ", ".join(sorted(state.grants)) or "none yet"
            raise ExchangeError(f"no grant {grant_id!r} (grants: {known})")
        if actor != grant.grantee:
            raise ExchangeError(
                f"only the grantee of {grant_id} ({grant.grantee}) may create its API token, "
                f"not {actor}"
            )
        if grant.ended:
            raise ExchangeError(f"grant {grant_id} was {grant.ended}: no token for it")
        tokens = fold_tokens(log.read_log(lake))
        clear = PREFIX + secrets.token_urlsafe(32)
        entry = log.append(
            lake, "token", actor, by=by or operator(), id=f"TOK-{len(tokens) + 1:04d}",
            grant=grant.id, grantee=grant.grantee, resource=grant.resource,
            sha256=token_hash(clear),
        )  # fmt: skip
    return clear, fold_tokens([entry])[entry["id"]]


def _department_token(
    lake: Lake, department: str, actor: str, *, by: str | None = None
) -> tuple[str, Token]:
    """A token for every grant ``department`` holds now or later (until revoked); only the
    department itself asks for it, and only once it holds an active grant."""
    from govlake.exchange.state import today

    if actor != department:
        raise ExchangeError(f"only {department} may create its department token, not {actor}")
    with log.locked(lake):
        state = read_state(lake)
        held = [g for g in state.grants.values() if g.grantee == department]
        if not any(g.status(today()) == "active" for g in held):
            raise ExchangeError(
                f"{department} holds no active grant: request a resource first "
                "(govlake exchange request / subscribe)"
            )
        tokens = fold_tokens(log.read_log(lake))
        clear = PREFIX + secrets.token_urlsafe(32)
        entry = log.append(
            lake, "token", actor, by=by or operator(), id=f"TOK-{len(tokens) + 1:04d}",
            grant=None, grantee=department, resource=None, scope="department",
            sha256=token_hash(clear),
        )  # fmt: skip
    return clear, fold_tokens([entry])[entry["id"]]


def revoke_token(
    lake: Lake, token_id: str, actor: str, *, reason: str, by: str | None = None
) -> Token:
    """Withdraw a token at once (the grantee, or the grant's provider); the reason is recorded."""
    if not reason.strip():
        raise ExchangeError("revoking a token gives its reason (--reason)")
    with log.locked(lake):
        entries = log.read_log(lake)
        tokens = fold_tokens(entries)
        t = tokens.get(token_id)
        if t is None:
            raise ExchangeError(
                f"no token {token_id!r} (tokens: {', '.join(sorted(tokens)) or 'none'})"
            )
        if t.revoked_at:
            raise ExchangeError(f"token {token_id} was already revoked on {t.revoked_at}")
        if t.grant is None:  # a department token: the department itself
            if actor != t.grantee:
                raise ExchangeError(f"only {t.grantee} may revoke {token_id}, not {actor}")
        else:
            grant = read_state(lake).grants[t.grant]
            if actor not in (grant.grantee, grant.provider):
                raise ExchangeError(
                    f"only {grant.grantee} (grantee) or {grant.provider} (provider) may revoke "
                    f"{token_id}, not {actor}"
                )
        entry = log.append(
            lake, "token_revoked", actor, by=by or operator(), token=token_id, grant=t.grant,
            reason=reason,
        )  # fmt: skip
    return fold_tokens([*entries, entry])[token_id]
