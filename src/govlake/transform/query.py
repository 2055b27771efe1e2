"""``run_sql()``: analysts' SQL over the warehouse, read-only, pseudonymous keys only.

The analysts' warehouse file holds only what analysts may see: every resource's current rows
without personal fields (``resources``), base (基础库), thematic, open, catalogue, reference codes
and the conflict counts; staging, pseudonymised current rows and conflict details live in the
builder's restricted database, and raw/quarantine are Parquet in the lake. The file is opened
read-only with external access off, so a query cannot read lake files or ATTACH others. Its
schemas are on the search path: ``from school`` and ``show tables`` work without a prefix.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Literal

from govlake.settings import Settings, get_settings

# In search-path order: a table name is looked up in the first schema that has it, so a
# resource named like a product (resources.tourism_monthly, thematic.tourism_monthly) leaves the
# product's name to the product.
EXPOSED_SCHEMAS = ("base", "thematic", "open", "catalogue", "conflicts", "reference", "resources")
Format = Literal["table", "csv", "json"]


class WarehouseMissing(RuntimeError):
    """No warehouse yet: run ``govlake build`` first."""


def connect_analyst(settings: Settings | None = None):
    """A read-only DuckDB connection on the warehouse with no access outside it."""
    import duckdb

    settings = settings or get_settings()
    path = settings.warehouse
    if not path.exists():
        raise WarehouseMissing(f"no warehouse at {path}: run `govlake build` first")
    config = {
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        "enable_external_access": False,
        "lock_configuration": True,
    }
    if settings.duckdb_threads:
        config["threads"] = settings.duckdb_threads
    con = duckdb.connect(str(path), read_only=True, config=config)
    present = {
        name for (name,) in con.execute("select schema_name from duckdb_schemas()").fetchall()
    }
    path_schemas = [s for s in EXPOSED_SCHEMAS if s in present]
    if path_schemas:
        con.execute(f"set search_path = '{','.join(path_schemas)}'")
    return con


def catalogue_as_of(settings: Settings | None = None):
    """The day the warehouse's catalogue judged freshness on (None: no catalogue yet)."""
    import duckdb

    try:
        con = connect_analyst(settings)
    except WarehouseMissing:
        return None
    try:
        return con.execute("select max(as_of_date) from catalogue.catalogue_status").fetchone()[0]
    except duckdb.CatalogException:
        return None
    finally:
        con.close()


def _render(columns: list[str], rows: list[tuple], fmt: Format) -> str:
    if fmt == "json":
        return json.dumps(
            [dict(zip(columns, r, strict=True)) for r in rows], ensure_ascii=False, default=str
        )
    if fmt == "csv":
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(columns)
        w.writerows(rows)
        return out.getvalue()
    cells = [columns, *[["" if v is None else str(v) for v in r] for r in rows]]
    widths = [max(_width(row[i]) for row in cells) for i in range(len(columns))]
    lines = []
    for n, row in enumerate(cells):
        lines.append(
            " | ".join(v + " " * (w - _width(v)) for v, w in zip(row, widths, strict=True))
        )
        if n == 0:
            lines.append("-+-".join("-" * w for w in widths))
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines)


def _width(text: str) -> int:
    """Display width: CJK characters take two columns in a terminal."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def run_sql(
    query: str,
    *,
    fmt: Format = "table",
    output: Path | None = None,
    settings: Settings | None = None,
) -> str:
    """Run one query read-only; return the formatted result (or write it to ``output``)."""
    if fmt not in ("table", "csv", "json"):
        raise ValueError(f"format {fmt!r}: expected table, csv or json")
    con = connect_analyst(settings)
    try:
        cur = con.execute(query)
        columns = [d[0] for d in cur.description] if cur.description else []
        rows = cur.fetchall() if columns else []
    finally:
        con.close()
    text = _render(columns, rows, fmt)
    if output is not None:
        Path(output).write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
        return f"wrote {len(rows)} rows to {output}"
    return text
