"""The sharing rules (共享规则): what may be asked of which resource, under which legal basis.

Everything comes from the catalogue entries (register + dbt ``meta.catalogue``) and the
register's departments; the exchange keeps no second list of resources. The rules:

- 无条件共享: any registered department may subscribe and is granted at once, never with a
  personal field in clear (a subscription is not reviewed by anyone).
- 有条件共享: a request (columns, rows, purpose, legal basis, period) waits for the providing
  department's decision.
- 不予共享, and every 涉密 resource: refused, the catalogue's 不予共享依据 given as the reason.
- Personal fields (个人信息) are granted only under a legal basis that allows personal
  information (``catalog/exchange/legal_bases.yml``) and only by a reviewed request. A personal
  identifier (citizen ID, phone) not granted in clear is delivered as ``<name>_key``, a pseudonym
  keyed for the grantee alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from govlake.register import (
    PSEUDONYMISED_FORMATS,
    Register,
    RegisterError,
    ShareType,
    load_yaml,
)

PERSONAL = frozenset({"personal", "secret"})
NUMERIC_TYPES = ("integer", "decimal", "bigint", "double", "float", "hugeint", "smallint")
LEGAL_BASES_FILE = "exchange/legal_bases.yml"  # under the register folder (catalog/)
SUBSCRIPTION_BASIS = "gov_sharing"  # the basis every 无条件共享 subscription rests on


class ExchangeError(ValueError):
    """A request, decision or delivery that breaks a rule; the message says which."""


@dataclass(frozen=True)
class Column:
    """A 信息项 of a shareable resource, as the exchange needs it."""

    name: str
    label: str | None
    type: str  # register type (string, integer, …) or the dbt data_type
    sensitivity: str
    identifier: bool = False  # a personal identifier (citizen ID, phone) of a department extract
    pseudonym: bool = False  # holds the lake's pseudonym (derived models): re-keyed per grantee

    @property
    def personal(self) -> bool:
        return self.sensitivity in PERSONAL

    @property
    def kind(self) -> str:
        """number / date / text: what a row condition may compare it with."""
        t = self.type.lower()
        if t.startswith(NUMERIC_TYPES):
            return "number"
        if t == "date":
            return "date"
        return "text"


@dataclass(frozen=True)
class Shareable:
    """A catalogue entry seen from the exchange."""

    id: str  # register id or dbt model
    code: str
    name: str
    layer: str  # department / base / thematic / open
    provider: str  # department id
    share_type: ShareType
    classified: bool
    share_basis: str | None
    relation: str | None  # the analysts' table (derived resources are read there)
    columns: tuple[Column, ...] = field(default_factory=tuple)

    @cached_property
    def column_map(self) -> dict[str, Column]:
        return {c.name: c for c in self.columns}

    def column(self, name: str) -> Column:
        """A column by name or Chinese label; a clear error for any other."""
        found = self.column_map.get(name) or next(
            (c for c in self.columns if c.label == name), None
        )
        if found is None:
            raise ExchangeError(
                f"resource {self.id} ({self.name}) has no column {name!r}; its 信息项: "
                + ", ".join(c.name for c in self.columns)
            )
        return found

    @property
    def refusal(self) -> str | None:
        """Why nothing of it is ever shared, or None."""
        if self.classified:
            return (
                f"resource {self.id} ({self.name}) is 涉密 (classified): it never leaves the "
                "restricted zone"
            )
        if self.share_type is ShareType.none:
            return f"resource {self.id} ({self.name}) is 不予共享: {self.share_basis}"
        return None

    @property
    def default_columns(self) -> list[str]:
        """What a subscription or a request naming no columns gets: every non-personal column,
        and each personal identifier as its pseudonym."""
        return [c.name for c in self.columns if not c.personal or c.identifier or c.pseudonym]


@dataclass(frozen=True)
class LegalBasis:
    id: str
    name: str
    personal: bool  # allows personal information (个人信息) in clear


@dataclass
class Rules:
    """The register's departments, the shareable resources and the legal bases."""

    register: Register
    resources: dict[str, Shareable]
    legal_bases: dict[str, LegalBasis]

    def department(self, dept: str) -> str:
        if dept not in self.register.departments:
            raise ExchangeError(
                f"unknown department {dept!r}; registered: "
                + ", ".join(sorted(self.register.departments))
            )
        return dept

    def resource(self, name: str) -> Shareable:
        """By register id, dbt model or resource code."""
        found = self.resources.get(name) or next(
            (r for r in self.resources.values() if r.code == name), None
        )
        if found is None:
            raise ExchangeError(
                f"unknown resource {name!r}; known: {', '.join(sorted(self.resources))}"
            )
        return found

    def basis(self, basis_id: str) -> LegalBasis:
        if basis_id not in self.legal_bases:
            raise ExchangeError(
                f"unknown legal basis {basis_id!r}; known (catalog/{LEGAL_BASES_FILE}): "
                + ", ".join(sorted(self.legal_bases))
            )
        return self.legal_bases[basis_id]

    def department_name(self, dept: str) -> str:
        d = self.register.departments.get(dept)
        return d.name if d else dept


def _shareables(register: Register) -> dict[str, Shareable]:
    from govlake.catalogue.entries import entries

    out: dict[str, Shareable] = {}
    for e in entries(register):
        columns = []
        for item in e.items:
            identifier = False
            if e.layer == "department":
                f = register.resources[e.resource_id].field_map[item.name]
                identifier = f.format in PSEUDONYMISED_FORMATS
            columns.append(
                Column(
                    item.name,
                    item.label,
                    item.type,
                    item.sensitivity,
                    identifier=identifier,
                    pseudonym=item.pseudonym,
                )
            )
        out[e.resource_id] = Shareable(
            id=e.resource_id,
            code=e.code,
            name=e.meta.name,
            layer=e.layer,
            provider=e.provider_id,
            share_type=e.meta.share_type,
            classified=e.meta.classified,
            share_basis=e.meta.share_basis,
            relation=e.relation,
            columns=tuple(columns),
        )
    return out


def load_legal_bases(register_dir: Path) -> dict[str, LegalBasis]:
    path = register_dir / LEGAL_BASES_FILE
    if not path.exists():
        raise RegisterError(f"{path}: missing (the legal bases requests may cite)")
    data = load_yaml(path.read_text(encoding="utf-8")) or {}
    out = {}
    for n, row in enumerate(data.get("legal_bases") or [], start=1):
        try:
            out[row["id"]] = LegalBasis(row["id"], row["name"], bool(row["personal"]))
        except (KeyError, TypeError):
            raise RegisterError(f"{path}: entry {n} needs id, name and personal") from None
    if SUBSCRIPTION_BASIS not in out:
        raise RegisterError(f"{path}: the basis {SUBSCRIPTION_BASIS!r} of subscriptions is missing")
    return out


def load_rules(register: Register | None = None, register_dir: Path | None = None) -> Rules:
    from govlake.register import load_register
    from govlake.settings import get_settings

    register_dir = register_dir or get_settings().register_dir
    register = register or load_register(register_dir)
    return Rules(register, _shareables(register), load_legal_bases(register_dir))


# --- columns ----------------------------------------------------------------------------------


def delivered_name(column: Column, clear: bool) -> str:
    """The delivered column: an identifier not granted in clear becomes its pseudonym."""
    return column.name if (clear or not column.identifier) else f"{column.name}_key"


def scope_columns(
    resource: Shareable, asked: list[str] | None, *, personal_allowed: bool
) -> tuple[list[str], list[str]]:
    """(granted 信息项 names, names delivered in clear among the personal ones).

    ``asked`` may name a column, its Chinese label, or ``<identifier>_key`` for the pseudonym.
    A personal field that is not an identifier needs ``personal_allowed``; an identifier is
    delivered in clear only then, else as its grantee pseudonym.
    """
    if not asked:
        asked = resource.default_columns
    granted: list[str] = []
    clear: list[str] = []
    for name in asked:
        want_key = False
        if name not in resource.column_map and name.endswith("_key"):
            base = resource.column_map.get(name.removesuffix("_key"))
            if base is not None and base.identifier:
                name, want_key = base.name, True
        column = resource.column(name)
        if column.name in granted:
            raise ExchangeError(f"column {column.name} is named twice")
        if column.personal and not column.identifier and not column.pseudonym:
            if not personal_allowed:
                raise ExchangeError(
                    f"column {column.name} ({column.label}) of {resource.id} is personal "
                    "information (个人信息): only a reviewed request under a legal basis that "
                    "allows personal information may receive it"
                )
            clear.append(column.name)
        elif column.identifier and personal_allowed and not want_key:
            clear.append(column.name)
        granted.append(column.name)
    return granted, clear


# --- rows: the filter language ----------------------------------------------------------------

OPERATORS = ("=", "!=", "<", "<=", ">", ">=", "in")
_CONDITION = re.compile(
    r"^\s*(?P<column>[^\s=!<>]+)\s*(?P<op>!=|<=|>=|=|<|>|\bin\b)\s*(?P<value>.+?)\s*$", re.I
)


def _literal(text: str) -> str | float:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() and "." not in text else number


def parse_condition(text: str) -> dict[str, Any]:
    """``age >= 60``, ``street_code in (110107001, 110107002)``, ``sex = 女`` → a condition.

    Values are data, never SQL: they are bound as parameters when the rows are filtered.
    """
    m = _CONDITION.match(text)
    if not m:
        raise ExchangeError(
            f"row condition {text!r} is not `<column> <op> <value>` with op one of "
            + ", ".join(OPERATORS)
        )
    op = m["op"].lower()
    raw = m["value"]
    if op == "in":
        inner = raw.strip()
        if inner.startswith(("(", "[")) and inner.endswith((")", "]")):
            inner = inner[1:-1]
        values = [_literal(v) for v in inner.split(",") if v.strip()]
        if not values:
            raise ExchangeError(f"row condition {text!r}: `in` needs at least one value")
        return {"column": m["column"], "op": "in", "value": values}
    return {"column": m["column"], "op": op, "value": _literal(raw)}


def check_rows(resource: Shareable, conditions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validate conditions against the resource's columns; returns them with canonical names."""
    out = []
    for cond in conditions:
        if not isinstance(cond, dict) or set(cond) != {"column", "op", "value"}:
            raise ExchangeError(f"row condition {cond!r}: expected column, op and value")
        column = resource.column(str(cond["column"]))
        op = cond["op"]
        if op not in OPERATORS:
            raise ExchangeError(f"row condition on {column.name}: unknown operator {op!r}")
        values = cond["value"] if op == "in" else [cond["value"]]
        if op == "in" and not isinstance(cond["value"], list):
            raise ExchangeError(f"row condition on {column.name}: `in` needs a list")
        if column.personal:
            raise ExchangeError(
                f"row condition on {column.name}: personal fields cannot select rows"
            )
        if op in ("<", "<=", ">", ">=") and column.kind == "text":
            raise ExchangeError(
                f"row condition on {column.name} ({column.type}): `{op}` compares numbers or "
                "dates only"
            )
        for v in values:
            if column.kind == "number" and not isinstance(v, int | float):
                raise ExchangeError(
                    f"row condition on {column.name}: {v!r} is not a number ({column.type})"
                )
            if column.kind == "date":
                import datetime as dt

                try:
                    dt.date.fromisoformat(str(v))
                except ValueError:
                    raise ExchangeError(
                        f"row condition on {column.name}: {v!r} is not a date YYYY-MM-DD"
                    ) from None
            if isinstance(v, bool) or v is None:
                raise ExchangeError(f"row condition on {column.name}: {v!r} is not a value")
        out.append({"column": column.name, "op": op, "value": cond["value"]})
    return out


def describe_rows(conditions: list[dict[str, Any]]) -> str:
    """The conditions as people write them (``all rows`` when there are none)."""
    if not conditions:
        return "all rows"

    def show(v: Any) -> str:
        return str(v)

    parts = []
    for c in conditions:
        if c["op"] == "in":
            parts.append(f"{c['column']} in ({', '.join(show(v) for v in c['value'])})")
        else:
            parts.append(f"{c['column']} {c['op']} {show(c['value'])}")
    return " and ".join(parts)
