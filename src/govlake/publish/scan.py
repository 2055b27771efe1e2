"""The last check before upload: every outgoing file is read back and scanned for personal data.

Three kinds of hit, each named by file, column and row (the value masked, so the report does
not leak it a second time):

- a citizen ID (公民身份号码): 18 characters standing alone, whose check character is right
  (ISO 7064 MOD 11-2, ``stdnum.cn.ric``) and whose digits 7-14 are a birth date — the division
  code is not required to be known (newer codes are still IDs);
- a mobile number: 11 digits standing alone, ``1[3-9]…``;
- a value of a field marked personal anywhere in the register (a name, an address, an ID as
  delivered), taken from the lake's accepted zone, matched against whole cells.

A file with a hit stops its dataset: nothing of it is uploaded.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stdnum.cn import ric

from govlake.lake import Lake
from govlake.register import Register, Sensitivity

ID_CANDIDATE = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
MOBILE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
# Cheap pre-filters DuckDB runs over every cell (RE2: no look-arounds); Python confirms.
ID_PREFILTER = "[0-9]{17}[0-9Xx]"
MOBILE_PREFILTER = "1[3-9][0-9]{9}"
MIN_PERSONAL_LENGTH = 2  # a one-character "value" (a sex, an initial) identifies nobody


@dataclass(frozen=True)
class Hit:
    file: str
    column: str
    row: int  # data row, 1-based (the CSV's line is row + 1, after its header)
    kind: str
    value: str  # masked

    def __str__(self) -> str:
        return f"{self.file}: column {self.column}, row {self.row}: {self.kind} ({self.value})"

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "column": self.column, "row": self.row, "kind": self.kind,
                "value": self.value}  # fmt: skip


def mask(value: str) -> str:
    value = value.strip()
    if len(value) <= 2:
        return "*" * len(value)
    keep = 4 if len(value) >= 11 else 1
    return value[:keep] + "*" * (len(value) - 2 * keep) + value[-keep:]


def is_citizen_id(token: str) -> bool:
    """Check character and birth date right (the check GB 11643 gives every ID)."""
    token = token.upper()
    try:
        born = dt.date(int(token[6:10]), int(token[10:12]), int(token[12:14]))
    except ValueError:
        return False
    if not dt.date(1880, 1, 1) <= born <= dt.date.today():
        return False
    return ric.calc_check_digit(token) == token[17]


def personal_fields(register: Register) -> dict[str, list[str]]:
    """resource id → its fields marked personal."""
    return {
        r.id: [f.name for f in r.fields if f.sensitivity is Sensitivity.personal]
        for r in register.resources.values()
        if any(f.sensitivity is Sensitivity.personal for f in r.fields)
    }


class Scanner:
    """Holds the personal values of the lake (loaded once, on the first scan) in DuckDB."""

    def __init__(self, lake: Lake, register: Register) -> None:
        self.lake, self.register = lake, register
        self._con: Any = None
        self.personal_values = 0

    def _connection(self) -> Any:
        if self._con is not None:
            return self._con
        import duckdb

        con = duckdb.connect(config={"autoinstall_known_extensions": False,
                                     "autoload_known_extensions": False})  # fmt: skip
        con.execute("create table personal (v varchar, source varchar)")
        for rid, names in sorted(personal_fields(self.register).items()):
            parts = sorted(str(p) for p in self.lake.accepted(rid).glob("batch_date=*/*.parquet"))
            if not parts:
                continue
            present = {
                r[0]
                for r in con.execute("select name from parquet_schema(?)", [parts[0]]).fetchall()
            }
            for name in (n for n in names if n in present):
                quoted = '"' + name.replace('"', '""') + '"'
                con.execute(
                    f"insert into personal select distinct trim({quoted}::varchar), ? "
                    f"from read_parquet(?, union_by_name = true) "
                    f"where length(trim({quoted}::varchar)) >= {MIN_PERSONAL_LENGTH}",
                    [f"{rid}.{name}", parts],
                )
        self.personal_values = con.execute("select count(*) from personal").fetchone()[0]
        self._con = con
        return con

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    def scan_table(self, table: Any, file: str) -> list[Hit]:
        """Every hit in an Arrow table whose rows are the file's data rows, in order."""
        import pyarrow as pa

        con = self._connection()
        cells = pa.table(
            {
                "_row": pa.array(range(1, table.num_rows + 1), pa.int64()),
                **{
                    name: table[name].cast(pa.string())
                    for name in table.column_names
                    if not pa.types.is_floating(table[name].type)
                    and not pa.types.is_decimal(table[name].type)
                },
            }
        )
        if cells.num_columns == 1:
            return []
        con.register("_cells", cells)
        try:
            found = con.execute(
                f"""
                with long as (
                    unpivot _cells on columns(* exclude (_row)) into name col value v
                )
                select col, _row, v, null as source from long
                where regexp_matches(v, '{ID_PREFILTER}') or regexp_matches(v, '{MOBILE_PREFILTER}')
                union all
                select col, _row, long.v, p.source from long join personal p on trim(long.v) = p.v
                order by 2, 1
                """
            ).fetchall()
        finally:
            con.unregister("_cells")
        hits = []
        for col, row, value, source in found:
            if source is not None:
                hits.append(Hit(file, col, row, f"value of personal field {source}", mask(value)))
                continue
            for token in ID_CANDIDATE.findall(value):
                if is_citizen_id(token):
                    hits.append(Hit(file, col, row, "citizen ID (公民身份号码)", mask(token)))
            for token in MOBILE.findall(value):
                hits.append(Hit(file, col, row, "mobile number (手机号码)", mask(token)))
        return hits

    def scan_file(self, path: Path) -> list[Hit]:
        """Read an outgoing file back as the public will and scan it."""
        import pyarrow as pa
        import pyarrow.csv as pacsv
        import pyarrow.parquet as pq

        name = path.name
        if path.suffix == ".csv":
            with open(path, "rb") as fh:
                header = fh.readline().decode("utf-8-sig")
            names = next(csv.reader([header]))
            table = pacsv.read_csv(
                path,
                convert_options=pacsv.ConvertOptions(
                    column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False
                ),
            )
            return self.scan_table(table, name)
        if path.suffix == ".parquet":
            return self.scan_table(pq.read_table(path), name)
        document = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(document, list) and all(isinstance(r, dict) for r in document):
            keys = list(dict.fromkeys(k for r in document for k in r))
            columns = {
                k: pa.array(
                    [None if r.get(k) is None else str(r.get(k)) for r in document], pa.string()
                )
                for k in keys
            }
            return self.scan_table(pa.table(columns) if columns else pa.table({}), name)
        strings: list[tuple[str, str]] = []  # (JSON path, text) of a metadata document

        def walk(node: Any, where: str) -> None:
            if isinstance(node, dict):
                for k, v in node.items():
                    walk(v, f"{where}/{k}")
            elif isinstance(node, list):
                for n, v in enumerate(node):
                    walk(v, f"{where}/{n}")
            elif node is not None:
                strings.append((where or "/", str(node)))

        walk(document, "")
        # one row, one column per JSON path: a hit names the path as its column
        return self.scan_table(pa.table({w: pa.array([t], pa.string()) for w, t in strings}), name)
