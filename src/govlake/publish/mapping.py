"""Catalogue → CKAN: what an organization, a group and a dataset look like on the portal.

One organization per provider department, one group per 基础库 / 主题库 (from the register's
vocabularies), one dataset per publishable catalogue entry, named from its resource code
(``301001001/000001`` → ``301001001-000001``, the name the DCAT export already links to), so a
rerun finds what an earlier run created. The mapping table is in docs/publishing.md.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from govlake.publish.files import DICTIONARY, FORMATS, DatasetFile, TableInfo
from govlake.publish.selection import Candidate

MANAGED_KEY = "govlake_publisher"  # extra on every dataset the publisher manages
MANAGED_VALUE = "govlake"  # + the name suffix: each naming finds only its own datasets
FINGERPRINT_KEY = "govlake_fingerprint"  # set last: the dataset's files are all in place
METADATA_KEY = "govlake_metadata_sha256"
FILE_KEY = "govlake_file"  # on each CKAN resource: which of the dataset's files it is
SHA_KEY = "govlake_sha256"  # on each CKAN resource: the content hash of its uploaded file
DATASTORE_KEY = "govlake_datastore_sha256"  # on the CSV resource: what its DataStore holds
DISTRICT = {"code": "110107", "zh": "北京市石景山区", "en": "Shijingshan District, Beijing"}
FILE_ORDER = ("csv", "parquet", "json", "dictionary")
FILE_TEXT = {
    "csv": (
        "CSV",
        "UTF-8 编码（含 BOM，Excel 可直接打开），首行为英文字段名；字段含义见数据字典。",
    ),
    "parquet": ("Parquet", "Apache Parquet 列式文件，保留字段类型。"),
    "json": ("JSON", "JSON 数组，每条记录一个对象，键为英文字段名。"),
    "dictionary": (
        "数据字典 (Frictionless datapackage.json)",
        "Frictionless 数据包描述：每个信息项的英文名、中文名称、说明和类型，以及主键。",
    ),
}


def dataset_name(code: str, suffix: str = "") -> str:
    """The stable, URL-safe CKAN name of a catalogue entry."""
    return code.replace("/", "-") + suffix


def managed_value(suffix: str = "") -> str:
    """The marker of the datasets one publisher configuration manages (``govlake``)."""
    return MANAGED_VALUE + suffix


def slug(identifier: str) -> str:
    return identifier.replace("_", "-").lower()


@dataclass(frozen=True)
class Organization:
    name: str
    title: str
    description: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "description": self.description}


@dataclass(frozen=True)
class Group:
    name: str
    title: str
    description: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "description": self.description}


def organization(resource: dict[str, Any]) -> Organization:
    """The provider department (提供方) as a CKAN organization."""
    return Organization(
        name=slug(resource["provider_id"]),
        title=resource["provider"],
        description=(
            f"{resource['provider']}（{resource['provider_en']}）\n\n"
            f"统一社会信用代码 (提供方代码)：{resource['provider_code']}"
        ),
    )


def groups(resource: dict[str, Any], vocab: dict[str, dict[str, str]]) -> list[Group]:
    """The 基础库 / 主题库 the entry belongs to, named by the vocabulary's English key
    (``base-population``, ``theme-health``)."""
    out = []
    for attr, prefix, kind in (("base_database", "base", "基础库"), ("theme", "theme", "主题库")):
        value = resource.get(attr)
        if value:
            english = vocab.get(attr, {}).get(value) or value
            name = f"{prefix}-{slug(english)}"  # groups and organizations share CKAN's names
            out.append(Group(name, f"{value}{kind}", f"{value}{kind} ({english})"))
    return out


def _notes(c: Candidate, info: TableInfo, files_only: bool, limit: int) -> str:
    r = c.resource
    lines = [r["abstract"], ""]
    lines.append(
        f"{r['name_en']}: published by {r['provider_en']}; resource code {r['resource_code']}; "
        f"update cycle {r['update_cycle']}."
    )
    if c.conditional:
        lines += ["", f"**开放条件 (conditions of use)：** {r['open_condition']}"]
    if files_only:
        lines += [
            "",
            f"**仅提供文件下载 (files only)：** 本数据集共 {info.rows:,} 条记录，超过在线预览上限 "
            f"{limit:,} 条，不提供在线预览和数据接口 (DataStore)。",
        ]
    lines += ["", "数据字典：datapackage.json（信息项名称、说明和类型）。"]
    return "\n".join(lines)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def dataset(
    c: Candidate,
    info: TableInfo,
    *,
    name: str,
    vocab: dict[str, dict[str, str]],
    license_id: str,
    base_uri: str,
    last_updated: Any,
    datastore_limit: int,
    name_suffix: str = "",
) -> dict[str, Any]:
    """The dataset's metadata (no resources, no fingerprint): what package_create/patch get."""
    r = c.resource
    files_only = info.rows > datastore_limit
    extras = {
        "resource_code": r["resource_code"],
        "identifier": r["resource_code"],  # ckanext-dcat: dct:identifier, as the catalogue's
        "provider_code": r["provider_code"],
        "update_cycle": r["update_cycle"],
        "open_type": r["open_type"],
        "open_condition": r["open_condition"] if c.conditional else None,
        "spatial_text": DISTRICT["zh"],
        "spatial_uri": f"{base_uri}catalogue/area/{DISTRICT['code']}",
        "temporal_start": info.temporal[0],
        "temporal_end": info.temporal[1],
        "quality_score": c.status.get("quality_score"),
        "last_updated": last_updated,
        "issued": r["published_date"],
        "datastore": f"files only: {info.rows:,} rows > {datastore_limit:,}"
        if files_only
        else f"loaded: {info.rows:,} rows",
        MANAGED_KEY: managed_value(name_suffix),
    }
    tags = [t for t in (r["base_database"], r["theme"], r["category_name"], r["open_type"]) if t]
    data = {
        "name": name,
        "title": f"{r['name']} / {r['name_en']}",
        "notes": _notes(c, info, files_only, datastore_limit),
        "owner_org": organization(r).name,
        "license_id": license_id,
        "url": f"{base_uri}catalogue/resource/{dataset_name(r['resource_code'])}",
        "tags": [{"name": t} for t in dict.fromkeys(tags)],
        "groups": [{"name": g.name} for g in groups(r, vocab)],
        "extras": [
            {"key": k, "value": _text(v)} for k, v in sorted(extras.items()) if _text(v) != ""
        ],
    }
    digest = hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True).encode())
    data["extras"].append({"key": METADATA_KEY, "value": digest.hexdigest()})
    return data


def extras(package: dict[str, Any]) -> dict[str, str]:
    return {e["key"]: e["value"] for e in package.get("extras") or []}


def resource_fields(c: Candidate, f: DatasetFile) -> dict[str, str]:
    """A CKAN resource for one of the dataset's files (its upload added by the sync)."""
    title, text = FILE_TEXT[f.key]
    filename = DICTIONARY if f.key == "dictionary" else f"{c.resource_id}{FORMATS[f.key][0]}"
    return {
        "name": filename,
        "description": f"{c.resource['name']} — {title}。{text}",
        "format": f.format,
        "mimetype": f.mimetype,
        FILE_KEY: f.key,
    }


def datastore_fields(info: TableInfo) -> list[dict[str, Any]]:
    """DataStore columns with the 信息项 labels and descriptions as its data dictionary."""
    return [
        {"id": c.name, "type": c.datastore_type, "info": {"label": c.label, "notes": c.description}}
        for c in info.columns
    ]
