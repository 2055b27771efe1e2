"""Catalogue exports (``govlake catalog export``): the catalogue tables of the warehouse as files
departments, spreadsheets and other catalogues can take away.

Everything is read from the warehouse's ``catalogue`` schema (read-only), never from the
register: the exports show what the last build catalogued, with its status. Files go to
``<lake>/catalogue/exports/``, each written aside and renamed, so a reader never sees half a file:

- ``catalogue.json``: every entry with its 信息项, status, metadata quality and lineage;
- ``catalogue.csv`` / ``catalogue_items.csv``: one row per resource / per 信息项, the 编制指南's
  Chinese headers, UTF-8 with BOM (Excel opens it as UTF-8 only with the BOM);
- ``catalogue.xlsx``: the same two tables as two sheets;
- ``catalogue.ttl`` / ``catalogue.jsonld``: DCAT-AP 3 (``govlake.catalogue.dcat``).

Columns and the DCAT mapping: docs/catalogue.md, "Exports".
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govlake.lake import atomic_path
from govlake.settings import Settings, get_settings

EXPORT_DIR = Path("catalogue") / "exports"
TABLES = (
    "catalogue_resource",
    "catalogue_item",
    "catalogue_status",
    "catalogue_metadata_quality",
    "catalogue_lineage",
)
# catalogue_status / catalogue_metadata_quality columns that repeat catalogue_resource's
REPEATED = frozenset({"resource_code", "resource_id", "layer", "update_cycle"})


class CatalogueMissing(RuntimeError):
    """The warehouse has no (complete) catalogue: run ``govlake build`` first."""


@dataclass(frozen=True)
class Catalogue:
    """The catalogue as built: the warehouse's catalogue tables, keyed by resource code."""

    resources: list[dict[str, Any]]  # catalogue_resource rows, by resource_code
    items: dict[str, list[dict[str, Any]]]  # resource_code → catalogue_item rows, by position
    status: dict[str, dict[str, Any]]  # resource_code → catalogue_status row
    metadata_quality: dict[str, dict[str, Any]]  # resource_code → catalogue_metadata_quality row
    lineage: list[dict[str, Any]]  # catalogue_lineage edges
    data_themes: dict[str, str]  # 基础库 / 主题库 → EU data theme code (vocab data_theme)
    warehouse: Path

    @property
    def as_of_date(self) -> dt.date | None:
        """The day the build judged freshness on (the same for every row)."""
        return max((s["as_of_date"] for s in self.status.values() if s["as_of_date"]), default=None)

    def flat(self, resource: dict[str, Any]) -> dict[str, Any]:
        """One resource with its status, metadata quality and 信息项 labels in one mapping."""
        code = resource["resource_code"]
        extra = {
            k: v
            for part in (self.status.get(code, {}), self.metadata_quality.get(code, {}))
            for k, v in part.items()
            if k not in REPEATED
        }
        labels = [i["label"] or i["name"] for i in self.items.get(code, [])]
        return {**resource, **extra, "item_labels": labels}


def _rows(con: Any, sql: str) -> list[dict[str, Any]]:
    cur = con.execute(sql)
    columns = [d[0] for d in cur.description]
    return [dict(zip(columns, row, strict=True)) for row in cur.fetchall()]


def connect_warehouse(settings: Settings) -> Any:
    """The warehouse, read-only, no access outside it (like ``govlake sql``; opened here
    without importing the build, which a lone export does not need)."""
    import duckdb

    path = settings.warehouse
    if not path.exists():
        raise CatalogueMissing(f"no warehouse at {path}: run `govlake build` first")
    config: dict[str, Any] = {
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        "enable_external_access": False,
    }
    if settings.duckdb_threads:
        config["threads"] = settings.duckdb_threads
    return duckdb.connect(str(path), read_only=True, config=config)


def read_catalogue(settings: Settings | None = None) -> Catalogue:
    """Read the catalogue tables from the analysts' warehouse (read-only)."""
    settings = settings or get_settings()
    con = connect_warehouse(settings)
    try:
        present = {
            f"{schema}.{name}"
            for schema, name in con.execute(
                "select table_schema, table_name from information_schema.tables"
            ).fetchall()
        }
        missing = [t for t in TABLES if f"catalogue.{t}" not in present]
        if missing:
            raise CatalogueMissing(
                f"the warehouse {settings.warehouse} has no catalogue table(s) "
                f"{', '.join('catalogue.' + t for t in missing)}: run `govlake build` first"
            )
        resources = _rows(con, "select * from catalogue.catalogue_resource order by resource_code")
        items: dict[str, list[dict[str, Any]]] = {}
        for row in _rows(
            con, "select * from catalogue.catalogue_item order by resource_code, position"
        ):
            items.setdefault(row["resource_code"], []).append(row)
        status = {
            r["resource_code"]: r for r in _rows(con, "select * from catalogue.catalogue_status")
        }
        quality = {
            r["resource_code"]: r
            for r in _rows(con, "select * from catalogue.catalogue_metadata_quality")
        }
        lineage = _rows(
            con,
            "select upstream_code, downstream_code from catalogue.catalogue_lineage "
            "order by upstream_code, downstream_code",
        )
        themes: dict[str, str] = {}
        if "reference.vocab" in present:
            themes = dict(
                con.execute(
                    "select code, label from reference.vocab where vocab = 'data_theme'"
                ).fetchall()
            )
    finally:
        con.close()
    return Catalogue(resources, items, status, quality, lineage, themes, settings.warehouse)


# ---------------------------------------------------------------------------------------------
# JSON


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} to JSON: {value!r}")


def catalogue_document(cat: Catalogue) -> dict[str, Any]:
    """The JSON export: keys in the models' column order, resources in code order."""
    from govlake.catalogue.dcat import CATALOGUE_TITLE

    resources = []
    for r in cat.resources:
        code = r["resource_code"]
        resources.append(
            {
                **r,
                "items": [
                    {k: v for k, v in i.items() if k != "resource_code"}
                    for i in cat.items.get(code, [])
                ],
                "status": {k: v for k, v in cat.status.get(code, {}).items() if k not in REPEATED},
                "metadata_quality": {
                    k: v
                    for k, v in cat.metadata_quality.get(code, {}).items()
                    if k != "resource_code"
                },
            }
        )
    return {
        "catalogue": {
            "title": CATALOGUE_TITLE["zh"],
            "title_en": CATALOGUE_TITLE["en"],
            "as_of_date": cat.as_of_date,
            "resource_count": len(resources),
            "item_count": sum(len(v) for v in cat.items.values()),
        },
        "resources": resources,
        "lineage": cat.lineage,
    }


def write_json(cat: Catalogue, path: Path) -> Path:
    text = json.dumps(catalogue_document(cat), ensure_ascii=False, indent=2, default=_json_value)
    with atomic_path(path) as tmp:
        tmp.write_text(text + "\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------
# Tables (CSV, XLSX): the 编制指南's Chinese headers, govlake's additions after them


@dataclass(frozen=True)
class Column:
    header: str  # Chinese header (编制指南 name where the guide has one)
    key: str  # the catalogue column (English identifier)
    kind: str = "value"  # value / bool / classified / list


def _yes_no(value: Any) -> str | None:
    return None if value is None else ("是" if value else "否")


CELL: dict[str, Callable[[Any], Any]] = {
    "value": lambda v: v,
    "bool": _yes_no,
    "classified": lambda v: None if v is None else ("涉密" if v else "非涉密"),
    "list": lambda v: "; ".join(v) if v else None,
}

RESOURCE_COLUMNS = [
    # 编制指南 (2017) fields, in the guide's order
    Column("信息资源分类(类)", "category"),
    Column("信息资源分类(项)", "item"),
    Column("信息资源分类(目)", "subitem"),
    Column("信息资源分类(细目)", "detail"),
    Column("信息资源名称", "name"),
    Column("信息资源代码", "resource_code"),
    Column("信息资源提供方", "provider"),
    Column("提供方代码", "provider_code"),
    Column("信息资源摘要", "abstract"),
    Column("信息资源格式", "format"),
    Column("信息项名称", "item_labels", "list"),
    Column("共享类型", "share_type"),
    Column("共享条件", "share_condition"),
    Column("不予共享依据", "share_basis"),
    Column("共享方式", "share_method"),
    Column("开放属性", "open_type"),
    Column("开放条件", "open_condition"),
    Column("更新周期", "update_cycle"),
    Column("发布日期", "published_date"),
    Column("关联资源代码", "related_codes", "list"),
    Column("涉密属性", "is_classified", "classified"),
    # govlake's additions
    Column("资源类别", "category_name"),
    Column("分类代码", "classification_code"),
    Column("英文名称", "name_en"),
    Column("提供方英文名称", "provider_en"),
    Column("资源层级", "layer"),
    Column("资源标识", "resource_id"),
    Column("所属基础库", "base_database"),
    Column("所属主题", "theme"),
    Column("上游资源代码", "upstream_codes", "list"),
    Column("下游资源代码", "downstream_codes", "list"),
    Column("分析表", "relation"),
    Column("含个人信息", "has_personal_fields", "bool"),
    Column("信息项数", "item_count"),
    # status (catalogue_status, catalogue_metadata_quality)
    Column("当前记录数", "current_rows"),
    Column("最近批次日期", "last_batch_date"),
    Column("最近报送时间", "last_delivered_at"),
    Column("应报送日期", "due_date"),
    Column("时效状态", "freshness_label"),
    Column("逾期起始日期", "late_since_date"),
    Column("质量评分", "quality_score"),
    Column("一数一源冲突数", "open_conflicts"),
    Column("元数据质量评分", "metadata_quality_score"),
    Column("元数据缺项", "missing", "list"),
    Column("统计日期", "as_of_date"),
]

ITEM_COLUMNS = [
    Column("信息资源代码", "resource_code"),
    Column("信息资源名称", "resource_name"),
    Column("序号", "position"),
    Column("信息项名称", "label"),
    Column("英文标识", "name"),
    Column("数据类型", "type"),
    Column("数据格式", "format"),
    Column("敏感级别", "sensitivity"),
    Column("可为空", "is_nullable", "bool"),
    Column("主键", "is_key", "bool"),
    Column("取值范围", "allowed"),
    Column("信息项说明", "description"),
]


def resource_table(cat: Catalogue) -> tuple[list[str], list[list[Any]]]:
    """(headers, rows) of the per-resource table: typed cells (dates stay dates)."""
    rows = [
        [CELL[c.kind](flat.get(c.key)) for c in RESOURCE_COLUMNS]
        for flat in (cat.flat(r) for r in cat.resources)
    ]
    return [c.header for c in RESOURCE_COLUMNS], rows


def item_table(cat: Catalogue) -> tuple[list[str], list[list[Any]]]:
    """(headers, rows) of the per-信息项 table, in resource then declared order."""
    rows = []
    for r in cat.resources:
        for item in cat.items.get(r["resource_code"], []):
            row = {**item, "resource_name": r["name"]}
            rows.append([CELL[c.kind](row.get(c.key)) for c in ITEM_COLUMNS])
    return [c.header for c in ITEM_COLUMNS], rows


def _text(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def write_csv(header: list[str], rows: Iterable[list[Any]], path: Path) -> Path:
    """UTF-8 with BOM and CRLF line ends: what Excel opens without asking."""
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows([_text(v) for v in row] for row in rows)
    return path


def _cell(value: Any) -> Any:
    """Excel has no time zones: a timestamp becomes its ISO text (with its offset)."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.isoformat()
    return value


def _width(value: Any) -> int:
    text = _text(value) if not isinstance(value, str) else value
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(text))


def write_xlsx(tables: list[tuple[str, list[str], list[list[Any]]]], path: Path) -> Path:
    """One sheet per (title, headers, rows): bold frozen header, filter, readable widths."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    for title, header, rows in tables:
        ws = wb.create_sheet(title)
        ws.append(header)
        for row in rows:
            ws.append([_cell(v) for v in row])
        for cell in ws[1]:
            cell.font = bold
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = ws.dimensions
        for n, name in enumerate(header, start=1):
            widest = max([_width(name), *(_width(r[n - 1]) for r in rows)])
            ws.column_dimensions[get_column_letter(n)].width = min(max(widest + 2, 8), 60)
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        wb.save(fh)
    return path


# ---------------------------------------------------------------------------------------------


def export_catalogue(settings: Settings | None = None, out_dir: Path | None = None) -> list[Path]:
    """Write every catalogue export; returns the files written (default folder:
    ``<lake>/catalogue/exports``). Everything is derived before the first file is written, so a
    catalogue the export cannot express (``DcatError``) leaves the previous files as they were."""
    from govlake.catalogue import dcat

    settings = settings or get_settings()
    out = out_dir or settings.lake_root / EXPORT_DIR
    cat = read_catalogue(settings)
    resources = resource_table(cat)
    items = item_table(cat)
    graph = dcat.catalogue_graph(cat, settings)
    return [
        write_json(cat, out / "catalogue.json"),
        write_csv(*resources, out / "catalogue.csv"),
        write_csv(*items, out / "catalogue_items.csv"),
        write_xlsx([("信息资源", *resources), ("信息项", *items)], out / "catalogue.xlsx"),
        *dcat.write_dcat(graph, out),
    ]
