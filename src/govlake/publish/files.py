"""The files a dataset publishes: its table as CSV (UTF-8 with BOM), Parquet and JSON, and a
Frictionless data package (``datapackage.json``) as its data dictionary (信息项 labels and
descriptions).

Read from the warehouse, read-only, like the catalogue exports: the 信息项 columns of the
entry's table (never audit columns), ordered by key so the same rows give the same bytes. A
fingerprint of the table (DuckDB's hash over every selected column and row, plus the data
dictionary) lets a re-sync skip writing files when nothing changed; when it did, the files are
written aside and renamed under ``<lake>/publish/files/<dataset name>/``.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govlake.lake import atomic_path
from govlake.publish.selection import Candidate, PublishError

# Bump when the bytes written for the same rows change (format, options): forces new files.
FILES_VERSION = "1"
FILES_DIR = Path("publish") / "files"
DICTIONARY = "datapackage.json"
# file key → (suffix, CKAN format, media type)
FORMATS = {
    "csv": (".csv", "CSV", "text/csv"),
    "parquet": (".parquet", "Parquet", "application/vnd.apache.parquet"),
    "json": (".json", "JSON", "application/json"),
    "dictionary": ("", "JSON", "application/json"),
}
# DuckDB type (prefix) → (Frictionless type, CKAN DataStore type)
TYPES = [
    ("VARCHAR", "string", "text"),
    ("BIGINT", "integer", "int8"),
    ("INTEGER", "integer", "int4"),
    ("SMALLINT", "integer", "int4"),
    ("HUGEINT", "integer", "numeric"),
    ("DECIMAL", "number", "numeric"),
    ("DOUBLE", "number", "float8"),
    ("FLOAT", "number", "float8"),
    ("BOOLEAN", "boolean", "bool"),
    ("DATE", "date", "date"),
    ("TIMESTAMP", "datetime", "timestamp"),
]
TEMPORAL_TYPES = ("month",)  # 信息项 types (besides DATE columns) that carry a time


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    description: str
    duck_type: str
    is_key: bool

    @property
    def frictionless_type(self) -> str:
        return next((f for d, f, _ in TYPES if self.duck_type.startswith(d)), "any")

    @property
    def datastore_type(self) -> str:
        return next((s for d, _, s in TYPES if self.duck_type.startswith(d)), "text")


@dataclass(frozen=True)
class TableInfo:
    """What the warehouse says about a dataset's table, before any file is written."""

    columns: list[Column]
    rows: int
    fingerprint: str  # changes when a row, a column or the data dictionary changes
    temporal: tuple[str | None, str | None]  # coverage: earliest, latest


@dataclass(frozen=True)
class DatasetFile:
    key: str  # csv / parquet / json / dictionary
    path: Path
    sha256: str
    size: int

    @property
    def format(self) -> str:
        return FORMATS[self.key][1]

    @property
    def mimetype(self) -> str:
        return FORMATS[self.key][2]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _relation(relation: str) -> str:
    return ".".join(_quote(p) for p in relation.split("."))


def columns(con: Any, candidate: Candidate) -> list[Column]:
    """The entry's 信息项 that its table has, in the catalogue's order."""
    try:
        described = con.execute(f"describe {_relation(candidate.relation)}").fetchall()
    except Exception as exc:  # duckdb.CatalogException: the build did not write the table
        raise PublishError(
            f"{candidate.resource_id}: table {candidate.relation} is not in the warehouse: {exc}"
        ) from None
    types = {row[0]: row[1] for row in described}
    out = [
        Column(
            name=i["name"],
            label=i["label"] or i["name"],
            description=i["description"] or "",
            duck_type=types[i["name"]],
            is_key=bool(i["is_key"]),
        )
        for i in candidate.items
        if i["name"] in types
    ]
    if not out:
        raise PublishError(
            f"{candidate.resource_id}: table {candidate.relation} has none of its 信息项"
        )
    return out


def _select(candidate: Candidate, cols: list[Column]) -> str:
    names = [_quote(c.name) for c in cols]
    keys = [_quote(c.name) for c in cols if c.is_key]
    order = ", ".join([*keys, *(n for n in names if n not in keys)])
    return f"select {', '.join(names)} from {_relation(candidate.relation)} order by {order}"


def table_info(con: Any, candidate: Candidate, dictionary: dict[str, Any]) -> TableInfo:
    """Row count, fingerprint and temporal coverage from DuckDB, without reading rows out."""
    cols = columns(con, candidate)
    names = ", ".join(_quote(c.name) for c in cols)
    temporal = [
        c
        for c in cols
        if c.duck_type == "DATE"
        or any(i["name"] == c.name and i["type"] in TEMPORAL_TYPES for i in candidate.items)
    ]
    extra = "".join(
        f", min({_quote(c.name)})::varchar, max({_quote(c.name)})::varchar" for c in temporal
    )
    row = con.execute(
        f"select count(*), coalesce(sum(hash({names})::hugeint), 0)::varchar{extra} "
        f"from {_relation(candidate.relation)}"
    ).fetchone()
    lows = [v for v in row[2::2] if v is not None]
    highs = [v for v in row[3::2] if v is not None]
    digest = hashlib.sha256(
        json.dumps(
            [FILES_VERSION, [(c.name, c.duck_type) for c in cols], row[0], row[1], dictionary],
            ensure_ascii=False,
            sort_keys=True,
        ).encode()
    ).hexdigest()
    return TableInfo(cols, int(row[0]), digest, (min(lows, default=None), max(highs, default=None)))


def data_dictionary(
    name: str, candidate: Candidate, cols: list[Column], license_id: str
) -> dict[str, Any]:
    """The Frictionless data package of a dataset: its CSV as a tabular resource whose schema
    carries every 信息项's Chinese label (title) and description."""
    r = candidate.resource
    rid = candidate.resource_id
    return {
        "profile": "tabular-data-package",
        "name": name,
        "title": r["name"],
        "description": r["abstract"],
        "version": FILES_VERSION,
        "licenses": [{"name": license_id}],
        "keywords": [k for k in (r["base_database"], r["theme"]) if k],
        "resources": [
            {
                "profile": "tabular-data-resource",
                "name": rid,
                "path": f"{rid}.csv",
                "title": f"{r['name']} (CSV)",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8-sig",
                "dialect": {"delimiter": ",", "lineTerminator": "\r\n", "header": True},
                "schema": {
                    "fields": [
                        {
                            "name": c.name,
                            "title": c.label,
                            "description": c.description,
                            "type": c.frictionless_type,
                        }
                        for c in cols
                    ],
                    **(
                        {"primaryKey": [c.name for c in cols if c.is_key]}
                        if any(c.is_key for c in cols)
                        else {}
                    ),
                },
            }
        ],
    }


def check_dictionary(descriptor: dict[str, Any]) -> None:
    """Validate the descriptor against the Data Package spec with the frictionless library."""
    from frictionless import Package

    report = Package.validate_descriptor(descriptor)
    if not report.valid:
        problems = "; ".join(note for _, note in report.flatten(["type", "note"]))
        raise PublishError(f"{descriptor['name']}: datapackage.json is not valid: {problems}")


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_table(con: Any, candidate: Candidate, cols: list[Column]) -> Any:
    """The rows to publish as an Arrow table, in key order."""
    return con.execute(_select(candidate, cols)).fetch_arrow_table()


def write_files(
    table: Any, folder: Path, candidate: Candidate, dictionary: dict[str, Any]
) -> dict[str, DatasetFile]:
    """CSV (UTF-8 with BOM, CRLF: Excel opens it as UTF-8), Parquet, JSON (an array of
    records) and the data dictionary; each written aside and renamed."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    rid = candidate.resource_id
    out: dict[str, DatasetFile] = {}
    targets = {
        "csv": folder / f"{rid}.csv",
        "parquet": folder / f"{rid}.parquet",
        "json": folder / f"{rid}.json",
        "dictionary": folder / DICTIONARY,
    }
    with atomic_path(targets["csv"]) as tmp, open(tmp, "wb") as fh:
        fh.write("\ufeff".encode())
        pacsv.write_csv(table, fh, pacsv.WriteOptions(eol="\r\n"))
    with atomic_path(targets["parquet"]) as tmp:
        pq.write_table(table, tmp, compression="zstd")
    with atomic_path(targets["json"]) as tmp, open(tmp, "w", encoding="utf-8") as fh:
        rows = table.to_pylist()
        fh.write("[\n")
        for n, record in enumerate(rows):
            fh.write(json.dumps(record, ensure_ascii=False, default=_json_value))
            fh.write(",\n" if n < len(rows) - 1 else "\n")
        fh.write("]\n")
    with atomic_path(targets["dictionary"]) as tmp:
        text = json.dumps(dictionary, ensure_ascii=False, indent=2)
        tmp.write_text(text + "\n", encoding="utf-8")
    for key, path in targets.items():
        out[key] = DatasetFile(key, path, _sha256(path), path.stat().st_size)
    return out
