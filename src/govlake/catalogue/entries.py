"""Catalogue entries: every resource of the register plus every resource govlake derives.

A department extract (部门信息资源) is described in the register; a derived resource (基础库,
主题库, open product) in its dbt model's YAML ``meta.catalogue``. Both are validated by the same
rules (``govlake.register.CatalogueFields``) and checked together here: resource codes unique,
providers and related codes known. ``rendered`` turns them into the two seeds the dbt catalogue
models start from; the build renders them beside the register's other dbt files.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from govlake.register import (
    CatalogueFields,
    DerivedResource,
    Register,
    RegisterError,
    Resource,
    Sensitivity,
    load_yaml,
)

CATEGORIES = {"1": "基础信息资源", "2": "主题信息资源", "3": "部门信息资源"}
DELIVERY_FORMATS = {
    "csv": "电子文件 (CSV)",
    "xlsx": "电子文件 (XLSX)",
    "jsonl": "电子文件 (JSON Lines)",
}
DERIVED_FORMAT = "数据库表 (DuckDB, Parquet)"
DERIVED_LAYERS = ("base", "thematic", "open")  # dbt model folders whose models may be catalogued
PERSONAL = frozenset({Sensitivity.personal, Sensitivity.secret})

ROW_COUNTS_MODEL = "models/catalogue/catalogue_row_counts.sql"
ENTRIES_SEED = "seeds/catalogue_entries.csv"
ITEMS_SEED = "seeds/catalogue_items.csv"
SEEDS_YAML = "seeds/_catalogue__seeds.yml"


@dataclass(frozen=True)
class Item:
    """信息项 of a catalogue entry."""

    name: str
    label: str | None
    type: str
    description: str
    sensitivity: str
    format: str | None = None
    nullable: bool = True
    is_key: bool = False
    allowed: str | None = None  # vocabulary name or the closed list, as text
    pseudonym: bool = False  # holds the lake's keyed pseudonym of an identifier (exchange re-keys)


@dataclass(frozen=True)
class Entry:
    """One row of the catalogue: the 编制指南 fields plus where the resource lives."""

    resource_id: str  # register id, or the dbt model's name
    layer: str  # department / base / thematic / open
    meta: CatalogueFields
    provider_id: str
    format: str
    relation: str | None  # the analysts' table, if any
    items: list[Item] = field(default_factory=list)

    @property
    def code(self) -> str:
        return self.meta.resource_code

    @property
    def has_personal_fields(self) -> bool:
        return any(i.sensitivity in PERSONAL for i in self.items)


def _register_items(resource: Resource) -> list[Item]:
    return [
        Item(
            name=f.name,
            label=f.label,
            type=f.type.value,
            description=f.description,
            sensitivity=f.sensitivity.value,
            format=f.format.value if f.format else None,
            nullable=f.nullable,
            is_key=f.key,
            allowed=None
            if not f.allowed
            else (f.allowed[0] if f.allowed[0].startswith("vocab:") else " / ".join(f.allowed)),
        )
        for f in resource.fields
    ]


def _label(column: dict) -> str | None:
    """A derived column's Chinese label: ``meta.label``, else the description's leading Chinese
    term ("性别 (男/女), police" → 性别); None when the description starts otherwise."""
    meta = column.get("meta") or {}
    if meta.get("label"):
        return str(meta["label"])
    text = str(column.get("description") or "")
    head = ""
    for ch in text:
        if "\u4e00" <= ch <= "\u9fff":
            head += ch
        else:
            break
    return head or None


def _derived_items(model: dict) -> list[Item]:
    """信息项 of a derived model: its documented columns; the key is what its tests say is
    unique (a column's ``unique`` test, or the model's unique combination)."""
    keys: set[str] = set()
    for test in model.get("data_tests") or []:
        if isinstance(test, dict) and "govlake_unique_combination" in test:
            keys |= set(test["govlake_unique_combination"]["arguments"]["columns"])
    columns = model.get("columns") or []
    for c in columns:
        if "unique" in (c.get("data_tests") or []):
            keys.add(c["name"])
    return [
        Item(
            name=c["name"],
            label=_label(c),
            type=str(c.get("data_type") or "unknown"),
            description=str(c.get("description") or ""),
            sensitivity=str((c.get("meta") or {}).get("sensitivity", "internal")),
            is_key=c["name"] in keys,
            pseudonym=bool((c.get("meta") or {}).get("pseudonym", False)),
        )
        for c in columns
    ]


def derived_entries(project_dir: Path) -> list[Entry]:
    """Entries declared in ``meta.catalogue`` of the hand-written base, thematic, open models."""
    out = []
    for layer in DERIVED_LAYERS:
        for path in sorted((project_dir / "models" / layer).glob("*.yml")):
            data = load_yaml(path.read_text(encoding="utf-8")) or {}
            for model in data.get("models") or []:
                declared = (model.get("meta") or {}).get("catalogue")
                if declared is None:
                    continue
                try:
                    meta = DerivedResource.model_validate(declared)
                except ValidationError as exc:
                    problems = "; ".join(
                        f"{'.'.join(str(x) for x in e['loc']) or '(top)'}: {e['msg']}"
                        for e in exc.errors()
                    )
                    raise RegisterError(
                        f"{path}: model {model['name']} / meta.catalogue: {problems}"
                    ) from None
                out.append(
                    Entry(
                        resource_id=model["name"],
                        layer=layer,
                        meta=meta,
                        provider_id=meta.provider,
                        format=DERIVED_FORMAT,
                        relation=f"{layer}.{model['name']}",
                        items=_derived_items(model),
                    )
                )
    return out


def entries(register: Register, project_dir: Path | None = None) -> list[Entry]:
    """Every catalogue entry, register first, each checked against the others."""
    from govlake.transform.project import SOURCE_DIR

    out = [
        Entry(
            resource_id=r.id,
            layer="department",
            meta=r,
            provider_id=r.department,
            format=DELIVERY_FORMATS[r.delivery.format],
            relation=None if r.classified else f"resources.{r.id}",
            items=_register_items(r),
        )
        for r in sorted(register.resources.values(), key=lambda r: r.resource_code)
    ]
    derived = derived_entries(project_dir or SOURCE_DIR)
    codes = {e.code: e.resource_id for e in out}
    for e in derived:
        where = f"dbt model {e.resource_id} (meta.catalogue)"
        if e.code in codes:
            raise RegisterError(f"{where}: resource_code {e.code} already used by {codes[e.code]}")
        if e.provider_id not in register.departments:
            raise RegisterError(
                f"{where}: provider {e.provider_id!r} is not a department of the register "
                f"(known: {', '.join(sorted(register.departments))})"
            )
        codes[e.code] = e.resource_id
    for e in derived:
        unknown = [c for c in e.meta.related if c not in codes]
        if unknown:
            raise RegisterError(
                f"dbt model {e.resource_id} (meta.catalogue): related code(s) "
                f"{', '.join(unknown)} are not in the catalogue"
            )
    return out + sorted(derived, key=lambda e: e.code)


def _csv(header: list[str], rows: list[list[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return out.getvalue()


ENTRY_COLUMNS = [
    "resource_code", "resource_id", "layer", "name", "name_en", "category", "category_name",
    "item", "subitem", "detail", "classification_code", "provider_id", "provider",
    "provider_en", "provider_code", "abstract", "format", "share_type", "share_condition",
    "share_basis", "share_method", "open_type", "open_condition", "update_cycle", "published",
    "is_classified", "base_database", "theme", "related_codes", "relation",
    "has_personal_fields", "item_count",
]  # fmt: skip
ITEM_COLUMNS = [
    "resource_code", "position", "name", "label", "type", "format", "sensitivity", "nullable",
    "is_key", "allowed", "description",
]  # fmt: skip


def render_row_counts(catalogue: list[Entry]) -> str:
    """Current rows per entry, one ``ref`` each so dbt orders it after what it counts; a
    classified resource's count is not given (it leaves the restricted zone with nothing)."""
    from govlake.transform.sources import current_model

    parts = []
    for e in catalogue:
        model = current_model(e.meta) if isinstance(e.meta, Resource) else e.resource_id
        if e.meta.classified:
            parts.append(f"    select '{e.code}' as resource_code, null::bigint as current_rows")
            continue
        parts.append(
            f"    select '{e.code}' as resource_code, count(*) as current_rows\n"
            f"    from {{{{ ref('{model}') }}}}"
        )
    return (
        "-- GENERATED at build time by govlake.catalogue: current rows of every catalogue entry\n"
        "with\n\ncounts as (\n\n" + "\n\n    union all\n\n".join(parts) + "\n\n)\n\n"
        "select * from counts\n"
    )


def rendered(register: Register, project_dir: Path | None = None) -> dict[str, str]:
    """The catalogue seeds (and their column types) for the build's dbt project."""
    rows, items = [], []
    catalogue = entries(register, project_dir)
    for e in catalogue:
        m, c = e.meta, e.meta.classification
        dept = register.departments[e.provider_id]
        rows.append([
            e.code, e.resource_id, e.layer, m.name, m.name_en, c.category,
            CATEGORIES[c.category], c.item, c.subitem, c.detail, c.code, dept.id, dept.name,
            dept.name_en, dept.code, m.abstract, e.format, m.share_type.value, m.share_condition,
            m.share_basis, m.share_method, m.open_type.value, m.open_condition,
            m.update_cycle.value, m.published.isoformat(), str(m.classified).lower(),
            m.base_database, m.theme, ";".join(m.related), e.relation,
            str(e.has_personal_fields).lower(), len(e.items),
        ])  # fmt: skip
        for n, i in enumerate(e.items, start=1):
            items.append([
                e.code, n, i.name, i.label, i.type, i.format, i.sensitivity,
                str(i.nullable).lower(), str(i.is_key).lower(), i.allowed, i.description,
            ])  # fmt: skip
    seeds = {
        "version": 2,
        "seeds": [
            {
                "name": Path(seed).stem,
                "description": text,
                "config": {
                    "database": "restricted",
                    "schema": "catalogue_input",
                    "column_types": dict.fromkeys(columns, "varchar"),
                },
            }
            for seed, columns, text in (
                (
                    ENTRIES_SEED,
                    ENTRY_COLUMNS,
                    "catalogue entries as declared (register + dbt meta)",
                ),
                (ITEMS_SEED, ITEM_COLUMNS, "信息项 of each catalogue entry"),
            )
        ],
    }
    header = "# GENERATED at build time by govlake.catalogue from the register and dbt meta.\n"
    return {
        ROW_COUNTS_MODEL: render_row_counts(catalogue),
        ENTRIES_SEED: _csv(ENTRY_COLUMNS, rows),
        ITEMS_SEED: _csv(ITEM_COLUMNS, items),
        SEEDS_YAML: header + yaml.safe_dump(seeds, allow_unicode=True, sort_keys=False),
    }
