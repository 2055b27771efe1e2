"""``run_sql()``: analysts' SQL over the warehouse, read-only, pseudonymous keys only.

The warehouse file is opened read-only inside a fresh in-memory DuckDB whose *only* catalogue
entries are views over the exposed schemas (base, thematic, open, catalogue, and the conflict
counts); the file itself is detached again, and external access (files, ATTACH, extensions) is
switched off before the analyst's query runs. So staging (which reads the accepted zone),
intermediate models, conflict details and anything in raw/quarantine are not reachable.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Literal

from govlake.settings import Settings, get_settings

EXPOSED_SCHEMAS = ("base", "thematic", "open", "catalogue")
EXPOSED_TABLES = {("conflicts", "conflict_counts")}
Format = Literal["table", "csv", "json"]


class WarehouseMissing(RuntimeError):
    """No warehouse yet: run ``govlake build`` first."""


def connect_analyst(settings: Settings | None = None):
    """An in-memory DuckDB holding copies-by-view of the exposed warehouse relations.

    Views cannot outlive a detached database, so the exposed relations are materialised lazily
    as views over an ATTACHed read-only file that stays attached but is hidden behind
    ``enable_external_access = false`` and a locked configuration.
    """
    import duckdb

    settings = settings or get_settings()
    path = settings.warehouse
    if not path.exists():
        raise WarehouseMissing(f"no warehouse at {path}: run `govlake build` first")
    con = duckdb.connect(":memory:", config={"autoinstall_known_extensions": False,
                                              "autoload_known_extensions": False})  # fmt: skip
    con.execute(f"attach '{path}' as warehouse (read_only)")
    rels = con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_catalog = 'warehouse' order by all"
    ).fetchall()
    exposed = [(s, t) for s, t in rels if s in EXPOSED_SCHEMAS or (s, t) in EXPOSED_TABLES]
    for schema in sorted({s for s, _ in exposed}):
        con.execute(f'create schema memory."{schema}"')
    for schema, table in exposed:
        con.execute(
            f'create view memory."{schema}"."{table}" as '
            f'select * from warehouse."{schema}"."{table}"'
        )
    con.execute("use memory")
    con.execute("set enable_external_access = false")
    con.execute("set lock_configuration = true")
    return con


def _guard(query: str) -> None:
    lowered = " ".join(query.lower().split())
    if "warehouse." in lowered or "duckdb_" in lowered:
        raise PermissionError(
            "only the exposed schemas can be queried: "
            + ", ".join([*EXPOSED_SCHEMAS, "conflicts.conflict_counts"])
        )


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
    _guard(query)
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
