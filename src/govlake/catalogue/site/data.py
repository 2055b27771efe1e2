"""What the site shows, read from the catalogue tables of the analysts' warehouse.

The tables (``dbt_project/models/catalogue/_catalogue__models.yml``) are the site's only input
besides the quality Data Docs it links to and the exchange's log (grants, receipts, requests,
demands: ``govlake.exchange.view``, no data): the site never reads the register or the lake's
restricted zones. The preview reads ``relation`` through the analysts' read-only connection.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from govlake.register import ShareType

PREVIEW_ROWS = 20
LAYERS = {
    "department": ("部门信息资源", "department resource"),
    "base": ("基础库", "base database"),
    "thematic": ("主题库", "thematic database"),
    "open": ("开放数据产品", "open-data product"),
}
FRESHNESS_EN = {"on_time": "on time", "late": "late", "never_delivered": "never delivered"}
SENSITIVITY = {
    "public": ("公开", "public"),
    "internal": ("内部", "internal"),
    "personal": ("个人信息", "personal"),
    "secret": ("涉密", "secret"),
}
PERSONAL = frozenset({"personal", "secret"})
BEIJING = dt.timezone(dt.timedelta(hours=8), "北京时间")


class SiteError(RuntimeError):
    """The site cannot be built from what is there (no warehouse, no catalogue tables)."""


@dataclass
class Resource:
    """One catalogue entry with its status, metadata quality and 信息项 (one row of each table)."""

    row: dict[str, Any]  # catalogue_resource
    status: dict[str, Any]  # catalogue_status
    mqa: dict[str, Any]  # catalogue_metadata_quality
    items: list[dict[str, Any]] = field(default_factory=list)  # catalogue_item, in order
    preview: tuple[list[str], list[list[Any]]] | None = None  # (labels, rows) when eligible
    docs_href: str | None = None  # latest validation page, relative to the resource page
    suite_href: str | None = None

    @property
    def code(self) -> str:
        return self.row["resource_code"]

    @property
    def slug(self) -> str:
        """File name of its page: the resource code with '/' → '-' (digits and '-' only)."""
        return self.code.replace("/", "-")

    @property
    def layer_label(self) -> tuple[str, str]:
        return LAYERS.get(self.row["layer"], (self.row["layer"], self.row["layer"]))

    @property
    def personal_items(self) -> list[dict[str, Any]]:
        return [i for i in self.items if i["sensitivity"] in PERSONAL]

    @property
    def previewable(self) -> bool:
        """The preview rule: 无条件共享, not 涉密, no personal or secret 信息项, a table to read."""
        return not self.no_preview_reasons

    @property
    def no_preview_reasons(self) -> list[tuple[str, str]]:
        """Why there is no preview, each reason in Chinese and English; empty when there is one."""
        reasons = []
        if self.row["is_classified"]:
            reasons.append(
                (
                    "涉密信息资源，数据只保存在受限区",
                    "classified: the data stays in the restricted zone",
                )
            )
        if self.row["has_personal_fields"] or self.personal_items:
            labels = "、".join(i["label"] or i["name"] for i in self.personal_items)
            reasons.append(
                (f"含个人信息项（{labels}）", "it has personal fields")
                if labels
                else ("含个人信息项", "it has personal fields")
            )
        if self.row["share_type"] != ShareType.unconditional:
            reasons.append(
                (
                    f"共享类型为{self.row['share_type']}，只有无条件共享的资源提供预览",
                    "only unconditionally shared (无条件共享) resources are previewed",
                )
            )
        if not reasons and not self.row["relation"]:
            reasons.append(("分析库中没有该资源的数据表", "no warehouse table"))
        return reasons

    @property
    def search_text(self) -> str:
        """What the search box matches (NFKC, lower case): names, code, abstract, provider and
        the 信息项 labels and names."""
        parts = [
            self.row["name"],
            self.row["name_en"],
            self.code,
            self.row["abstract"],
            self.row["provider"],
            *(i["label"] for i in self.items),
            *(i["name"] for i in self.items),
        ]
        return normalise(" ".join(p for p in parts if p))

    @property
    def delivered_local(self) -> str | None:
        at = self.status.get("last_delivered_at")
        return at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M") if at else None


@dataclass
class Department:
    """提供方: a department and what it provides (and, once the exchange exists, receives)."""

    id: str
    name: str
    code: str | None
    resources: list[Resource] = field(default_factory=list)

    @property
    def slug(self) -> str:
        return self.id


@dataclass
class Catalogue:
    resources: list[Resource]
    departments: list[Department]
    edges: list[tuple[str, str]]
    as_of: dt.date | None

    def by_code(self) -> dict[str, Resource]:
        return {r.code: r for r in self.resources}


def normalise(text: str) -> str:
    """Full-width forms folded (NFKC) and lower case; the page's script does the same."""
    return unicodedata.normalize("NFKC", text).lower()


def _rows(con: Any, sql: str) -> list[dict[str, Any]]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, values, strict=True)) for values in cur.fetchall()]


def _quote(relation: str) -> str:
    return ".".join('"' + part.replace('"', '""') + '"' for part in relation.split("."))


def read_catalogue(con: Any) -> Catalogue:
    """Every entry, its status, metadata quality, 信息项 and preview, and the lineage edges."""
    schemas = {r[0] for r in con.execute("select schema_name from duckdb_schemas()").fetchall()}
    if "catalogue" not in schemas:
        raise SiteError(
            "the warehouse has no catalogue tables (schema `catalogue`): run `govlake build`"
        )
    status = {r["resource_code"]: r for r in _rows(con, "select * from catalogue.catalogue_status")}
    mqa = {
        r["resource_code"]: r
        for r in _rows(con, "select * from catalogue.catalogue_metadata_quality")
    }
    items: dict[str, list[dict[str, Any]]] = defaultdict(list)
    sql = "select * from catalogue.catalogue_item order by resource_code, position"
    for item in _rows(con, sql):
        items[item["resource_code"]].append(item)
    resources = []
    for row in _rows(con, "select * from catalogue.catalogue_resource order by resource_code"):
        code = row["resource_code"]
        tables = (("catalogue_status", status), ("catalogue_metadata_quality", mqa))
        missing = [name for name, rows in tables if code not in rows]
        if missing:
            raise SiteError(
                f"resource {code} has no row in {', '.join(missing)}: rebuild the catalogue"
            )
        resources.append(Resource(row=row, status=status[code], mqa=mqa[code], items=items[code]))
    for resource in resources:
        if resource.previewable:
            resource.preview = _preview(con, resource)
    edges = [
        (r["upstream_code"], r["downstream_code"])
        for r in _rows(con, "select * from catalogue.catalogue_lineage order by 1, 2")
    ]
    departments: dict[str, Department] = {}
    for r in resources:
        dept = departments.setdefault(
            r.row["provider_id"],
            Department(r.row["provider_id"], r.row["provider"], r.row["provider_code"]),
        )
        dept.resources.append(r)
    as_of = next((s["as_of_date"] for s in status.values() if s.get("as_of_date")), None)
    return Catalogue(resources, sorted(departments.values(), key=lambda d: d.id), edges, as_of)


def _preview(con: Any, resource: Resource) -> tuple[list[str], list[list[Any]]]:
    """Up to ``PREVIEW_ROWS`` rows of the resource's 信息项 (never audit columns), labelled in
    Chinese. Only called for entries that pass the preview rule."""
    present = {r[0] for r in con.execute(f"describe {_quote(resource.row['relation'])}").fetchall()}
    shown = [i for i in resource.items if i["name"] in present and i["sensitivity"] not in PERSONAL]
    if not shown:
        return [], []
    names = ['"' + i["name"].replace('"', '""') + '"' for i in shown]
    keys = [n for n, i in zip(names, shown, strict=True) if i["is_key"]]
    rows = con.execute(
        f"select {', '.join(names)} from {_quote(resource.row['relation'])} "
        f"order by {', '.join(keys) or 'all'} limit {PREVIEW_ROWS}"
    ).fetchall()
    return [i["label"] or i["name"] for i in shown], [list(r) for r in rows]
