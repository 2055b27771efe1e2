"""Which catalogue entries may be published (docs/publishing.md, "What is published").

The publisher enforces the rule itself, whatever asked for a resource: open (无条件开放, or
有条件开放 with its condition shown on the dataset), not classified (涉密), no personal 信息项,
and a warehouse table to read. Everything comes from the catalogue the last build wrote; there
is no list of datasets anywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from govlake.catalogue.export import Catalogue

OPEN_TYPES = ("无条件开放", "有条件开放")
CONDITIONAL = "有条件开放"
PERSONAL = frozenset({"personal", "secret"})
# Schemas whose tables may leave the lake: the open products and the analysts' per-resource
# tables (current rows, no personal field, no pseudonym).
PUBLISHABLE_SCHEMAS = ("open", "resources")


class PublishError(RuntimeError):
    """The publisher cannot go on (no catalogue, no CKAN, a bad request): a clear message."""


@dataclass(frozen=True)
class Refusal:
    """A resource the publisher will not publish, with the rule it breaks."""

    resource_code: str
    resource_id: str
    name: str
    rule: str  # classified / not_open / personal / no_table
    detail: str

    def __str__(self) -> str:
        return f"{self.resource_id} ({self.resource_code} {self.name}) refused: {self.detail}"

    def to_dict(self) -> dict[str, str]:
        return {
            "resource_code": self.resource_code,
            "resource_id": self.resource_id,
            "name": self.name,
            "rule": self.rule,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Candidate:
    """A catalogue entry that passed the rules: what the mapping and the files start from."""

    resource: dict[str, Any]  # catalogue_resource row
    items: list[dict[str, Any]]  # catalogue_item rows, in order
    status: dict[str, Any]  # catalogue_status row

    @property
    def code(self) -> str:
        return self.resource["resource_code"]

    @property
    def resource_id(self) -> str:
        return self.resource["resource_id"]

    @property
    def relation(self) -> str:
        return self.resource["relation"]

    @property
    def conditional(self) -> bool:
        return self.resource["open_type"] == CONDITIONAL


@dataclass
class Selection:
    publish: list[Candidate] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)  # codes not open (nothing to refuse)

    @property
    def publishable_codes(self) -> set[str]:
        return {c.code for c in self.publish}


def refusal(resource: dict[str, Any], items: list[dict[str, Any]]) -> Refusal | None:
    """The first rule ``resource`` breaks, or None when it may be published."""

    def refuse(rule: str, detail: str) -> Refusal:
        return Refusal(resource["resource_code"], resource["resource_id"], resource["name"], rule,
                       detail)  # fmt: skip

    if resource["is_classified"]:
        return refuse("classified", "classified (涉密) resources never leave the restricted zone")
    if resource["open_type"] not in OPEN_TYPES:
        return refuse("not_open", f"开放属性 is {resource['open_type']}: not an open resource")
    personal = [i for i in items if i["sensitivity"] in PERSONAL]
    if personal or resource["has_personal_fields"]:
        names = ", ".join(f"{i['name']} ({i['label'] or i['name']})" for i in personal)
        return refuse(
            "personal",
            f"holds personal 信息项 {names or '(per the catalogue)'}: open data holds no personal "
            "field; publish an aggregate or a product without it",
        )
    relation = resource["relation"] or ""
    if relation.split(".", 1)[0] not in PUBLISHABLE_SCHEMAS:
        return refuse(
            "no_table",
            f"no publishable table (relation {relation or 'none'}; published tables live in "
            f"schema {' or '.join(PUBLISHABLE_SCHEMAS)})",
        )
    return None


def select(cat: Catalogue, only: list[str] | None = None) -> Selection:
    """Every open entry that passes the rules; the open ones that do not are refused. With
    ``only`` (resource ids or codes), just those, and asking for a closed one is a refusal."""
    wanted: set[str] | None = None
    if only:
        known = {r["resource_id"]: r["resource_code"] for r in cat.resources}
        codes = set(known.values())
        unknown = [x for x in only if x not in known and x not in codes]
        if unknown:
            raise PublishError(
                f"not in the catalogue: {', '.join(unknown)} (give resource ids or codes)"
            )
        wanted = {known.get(x, x) for x in only}
    out = Selection()
    for r in cat.resources:
        code = r["resource_code"]
        if wanted is not None and code not in wanted:
            continue
        items = cat.items.get(code, [])
        problem = refusal(r, items)
        if problem is None:
            out.publish.append(Candidate(r, items, cat.status.get(code, {})))
        elif wanted is None and problem.rule in ("not_open", "classified"):
            out.closed.append(code)  # closed resources are simply not published
        else:
            out.refused.append(problem)
    return out
