"""Landing file → Arrow table of strings, exactly as delivered.

Raw is lossless: every cell is the decoded text (no trimming, no typing); an empty CSV cell or a
missing JSON key is null. Decoding uses Python's codecs (never DuckDB's ``encodings`` extension,
which silently mis-decoded GB18030 here, see STACK_NOTES) and pyarrow's CSV parser. Every
failure raises :class:`Rejected` with a message naming the rule and, where it applies, the row.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv

FORMATS = {".csv": "csv", ".xlsx": "xlsx", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl"}
BOM = b"\xef\xbb\xbf"


class Rejected(Exception):
    """The file cannot be ingested as a whole; ``str(exc)`` is the reason shown to people."""


@dataclass(frozen=True)
class Extract:
    """What a reader returns: string columns named by the delivered headers."""

    table: pa.Table
    headers: list[str]  # as delivered (before stripping), same order as table columns
    encoding: str | None  # None for workbooks
    source_rows: pa.Array | None = None  # 1-based data row numbers when not simply 1..n

    def renamed(self) -> Extract:
        """Columns named c0, c1, … (headers may repeat or be empty; they are kept aside)."""
        names = [f"c{i}" for i in range(self.table.num_columns)]
        return Extract(self.table.rename_columns(names), self.headers, self.encoding,
                       self.source_rows)  # fmt: skip


def file_format(path: Path) -> str:
    """The reader for a file, from its extension (departments name their files by format)."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise Rejected(
            f"unsupported file type {path.suffix or '(no extension)'!r}; "
            f"expected one of {', '.join(sorted(FORMATS))}"
        )
    return fmt


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def detect_encoding(data: bytes) -> str:
    """UTF-8 BOM → utf-8-sig; strict UTF-8; else GB18030; else reject with offset and line."""
    return _decode(data)[1]


def _decode(data: bytes) -> tuple[bytes, str]:
    """UTF-8 bytes without BOM and the delivered encoding; each codec runs at most once."""
    if data.startswith(BOM):
        try:
            data[3:].decode("utf-8")
        except UnicodeDecodeError as exc:
            off = exc.start + 3
            raise Rejected(
                f"wrong encoding: starts with a UTF-8 BOM but byte 0x{data[off]:02x} at offset "
                f"{off} (line {_line_of(data, off)}) is not valid UTF-8"
            ) from None
        return data[3:], "utf-8-sig"
    try:
        data.decode("utf-8")
        return data, "utf-8"
    except UnicodeDecodeError as exc:
        utf8_off = exc.start
    try:
        return data.decode("gb18030").encode("utf-8"), "gb18030"
    except UnicodeDecodeError as exc:
        off = exc.start
        raise Rejected(
            f"wrong encoding: neither UTF-8 (invalid byte 0x{data[utf8_off]:02x} at offset "
            f"{utf8_off}, line {_line_of(data, utf8_off)}) nor GB18030 (invalid byte "
            f"0x{data[off]:02x} at offset {off}, line {_line_of(data, off)})"
        ) from None


def to_utf8(data: bytes) -> tuple[bytes, str]:
    """The file's bytes as UTF-8 without BOM, and the encoding they were delivered in."""
    return _decode(data)


def _check_not_empty(data: bytes) -> None:
    if not data or data.isspace():
        raise Rejected("empty file (0 bytes)" if not data else "empty file (only whitespace)")


def _ragged_row(text: str, width: int) -> str:
    """Find the first row whose width differs from the header's: slow path, errors only."""
    reader = csv.reader(io.StringIO(text, newline=""))
    next(reader, None)
    for row_no, row in enumerate(reader, start=1):
        if row and len(row) != width:
            return (
                f"ragged CSV: data row {row_no} (line {reader.line_num}) has {len(row)} "
                f"fields, the header has {width}"
            )
    return "CSV could not be parsed"


def read_csv(data: bytes) -> Extract:
    """Comma-separated, header in the first row; pyarrow parses in parallel."""
    _check_not_empty(data)
    utf8, encoding = to_utf8(data)
    first, _, rest = utf8.partition(b"\n")
    headers = next(csv.reader([first.decode("utf-8").rstrip("\r")]), [])
    if not rest or rest.isspace():
        raise Rejected(f"header only, no data rows (header: {', '.join(headers)})")
    names = [f"c{i}" for i in range(len(headers))]
    try:
        table = pacsv.read_csv(
            pa.py_buffer(utf8),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=8 << 20),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        if "columns, got" in str(exc):
            raise Rejected(_ragged_row(utf8.decode("utf-8"), len(headers))) from None
        raise Rejected(f"CSV could not be parsed: {exc}") from None
    return Extract(table, headers, encoding)


@lru_cache(maxsize=1)
def _duck() -> duckdb.DuckDBPyConnection:
    """One in-memory DuckDB with the excel extension (loading it costs ~70 ms per connect);
    each read uses its own cursor, which is safe across threads."""
    from govlake.duck import connect

    return connect()


def read_xlsx(path: Path, data: bytes) -> Extract:
    """First sheet through DuckDB's excel extension, every cell as text."""
    _check_not_empty(data)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            if "xl/workbook.xml" not in zf.namelist():
                raise Rejected("not a workbook: a zip file without xl/workbook.xml")
    except zipfile.BadZipFile:
        raise Rejected("not a workbook: the .xlsx file is not a zip/Office Open XML file") from None
    con = _duck().cursor()
    try:
        reader = con.execute(
            "select * from read_xlsx(?, header = true, all_varchar = true, stop_at_empty = false)",
            [str(path)],
        )
        table = reader.to_arrow_table()
    except Exception as exc:  # duckdb raises several error types for broken workbooks
        raise Rejected(f"not a readable workbook: {exc}") from None
    finally:
        con.close()
    headers = list(table.column_names)
    if table.num_rows == 0:
        raise Rejected(f"header only, no data rows (header: {', '.join(headers)})")
    table = table.rename_columns([f"c{i}" for i in range(len(headers))])
    # Keep the data row index of every row; drop rows with no value at all (blank lines).
    rows = pa.array(range(1, table.num_rows + 1), pa.int64())
    import pyarrow.compute as pc

    blank = None
    for col in table.columns:
        is_null = pc.is_null(col)
        blank = is_null if blank is None else pc.and_(blank, is_null)
    if blank is not None and pc.any(blank).as_py():
        keep = pc.invert(blank)
        table = table.filter(keep)
        rows = rows.filter(keep)
        if table.num_rows == 0:
            raise Rejected(f"header only, no data rows (header: {', '.join(headers)})")
    return Extract(table, headers, None, rows)


def _text(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, ensure_ascii=False)


def _jsonl_all_strings(utf8: bytes) -> pa.Table | None:
    """pyarrow's parallel JSON reader, used only when it is exact: every value a string or
    null, one object per line, no blank lines. Anything else (numbers, whose delivered text
    pyarrow would reformat; nested values; errors) returns None for the exact Python path."""
    import pyarrow.json as pajson

    if b"\n\n" in utf8 or b"\r" in utf8 or utf8.startswith(b"\n"):
        return None
    try:
        table = pajson.read_json(pa.BufferReader(utf8))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    types = table.schema.types
    if any(pa.types.is_timestamp(t) for t in types):  # pyarrow inferred it from a string
        schema = pa.schema([(name, pa.string()) for name in table.column_names])
        try:
            table = pajson.read_json(
                pa.BufferReader(utf8),
                parse_options=pajson.ParseOptions(
                    explicit_schema=schema, unexpected_field_behavior="error"
                ),
            )
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None
        types = table.schema.types
    if not all(pa.types.is_string(t) or pa.types.is_null(t) for t in types):
        return None
    lines = utf8.count(b"\n") + (not utf8.endswith(b"\n"))
    if table.num_rows != lines:
        return None
    return table.cast(pa.schema([(name, pa.string()) for name in table.column_names]))


def read_jsonl(data: bytes) -> Extract:
    """One JSON object per line; numbers keep their delivered text (parse_int/float=str)."""
    _check_not_empty(data)
    utf8, encoding = to_utf8(data)
    fast = _jsonl_all_strings(utf8)
    if fast is not None:
        return Extract(fast, list(fast.column_names), encoding).renamed()
    lines = utf8.decode("utf-8").splitlines()
    numbered = [(i, line) for i, line in enumerate(lines, start=1) if line.strip()]
    try:
        records = json.loads(
            "[" + ",".join(line for _, line in numbered) + "]", parse_int=str, parse_float=str
        )
    except json.JSONDecodeError:
        records = None
    if records is None or len(records) != len(numbered):
        for line_no, line in numbered:
            try:
                json.loads(line)
            except json.JSONDecodeError as exc:
                raise Rejected(
                    f"JSON line {line_no} does not parse: {exc.msg} at column {exc.colno}"
                ) from None
        raise Rejected("JSON lines could not be parsed")
    headers: dict[str, None] = {}
    for (line_no, _), rec in zip(numbered, records, strict=True):
        if not isinstance(rec, dict):
            raise Rejected(f"JSON line {line_no} is not an object")
        if len(rec) != len(headers) or rec.keys() - headers.keys():
            headers.update(dict.fromkeys(rec))
    names = list(headers)
    columns = []
    for key in names:
        values = [rec.get(key) for rec in records]
        try:
            columns.append(pa.array(values, pa.string()))
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            columns.append(pa.array([_text(v) for v in values], pa.string()))
    table = pa.table(columns, names=[f"c{i}" for i in range(len(names))])
    rows = pa.array([n for n, _ in numbered], pa.int64())
    return Extract(table, names, encoding, rows)


def read_file(path: Path, data: bytes) -> Extract:
    """Dispatch on the file's extension."""
    fmt = file_format(path)
    if fmt == "csv":
        return read_csv(data)
    if fmt == "xlsx":
        return read_xlsx(path, data)
    return read_jsonl(data)
