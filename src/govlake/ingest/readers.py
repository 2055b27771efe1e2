"""Landing file → Arrow table of strings, exactly as delivered.

Raw is lossless: every cell is the decoded text (no trimming, no typing); an empty CSV cell or a
missing JSON key is null. Decoding uses Python's codecs (never DuckDB's ``encodings`` extension,
which silently mis-decoded GB18030 here, see STACK_NOTES) and pyarrow's CSV parser. A failure
that concerns the whole file raises :class:`Rejected` with a message naming the rule and, where
it applies, the row; one that concerns a row (a last line that may be cut, a JSON key given
twice) keeps the row and records a :class:`Finding`, which the quality gate turns into that
row's quarantine reason. Lines may end in LF, CRLF or CR alone.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from json.decoder import scanstring
from pathlib import Path
from typing import BinaryIO, TextIO

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv

FORMATS = {".csv": "csv", ".xlsx": "xlsx", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl"}
BOM = b"\xef\xbb\xbf"


CUT_LAST_ROW = "file does not end with a line break: last row may be cut"


class Rejected(Exception):
    """The file cannot be ingested as a whole; ``str(exc)`` is the reason shown to people."""


@dataclass(frozen=True)
class Finding:
    """A row kept in raw but bound for quarantine, for a reason only ingest can see."""

    row: int  # the row's _source_row
    rule: str  # "line_break" (last row may be cut) or "json_key" (a key given twice)
    reason: str


@dataclass(frozen=True)
class Extract:
    """What a reader returns: string columns named by the delivered headers."""

    table: pa.Table
    headers: list[str]  # as delivered (before stripping), same order as table columns
    encoding: str | None  # None for workbooks
    source_rows: pa.Array | None = None  # 1-based data row numbers when not simply 1..n
    findings: tuple[Finding, ...] = ()
    sheets: pa.Array | None = None  # workbooks: the sheet each row comes from

    def renamed(self) -> Extract:
        """Columns named c0, c1, … (headers may repeat or be empty; they are kept aside)."""
        names = [f"c{i}" for i in range(self.table.num_columns)]
        return Extract(self.table.rename_columns(names), self.headers, self.encoding,
                       self.source_rows, self.findings, self.sheets)  # fmt: skip


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


_LINE_END = re.compile(rb"\r\n|\r|\n")


def ends_with_line_break(data: bytes) -> bool:
    return data.endswith((b"\n", b"\r"))


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


def _ragged_row(text: str | TextIO, width: int) -> str:
    """Find the first row whose width differs from the header's: slow path, errors only
    (``text``: the decoded file, or a text stream over it)."""
    reader = csv.reader(io.StringIO(text, newline="") if isinstance(text, str) else text)
    try:
        next(reader, None)
        for row_no, row in enumerate(reader, start=1):
            if row and len(row) != width:
                return (
                    f"ragged CSV: data row {row_no} (line {reader.line_num}) has {len(row)} "
                    f"fields, the header has {width}"
                )
    except csv.Error as exc:
        return f"CSV could not be parsed: {exc} (line {reader.line_num})"
    return "CSV could not be parsed"


def _parse_csv(utf8: bytes, names: list[str]) -> pa.Table:
    return pacsv.read_csv(
        pa.py_buffer(utf8),
        read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=8 << 20),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        ),
    )


def _cut_csv(utf8: bytes, names: list[str]) -> pa.Table | None:
    """The rows of a file whose last line has no line break and too few fields (cut short):
    every complete line as parsed, then the last line's fields padded with nulls. None when
    that does not explain the file (the caller rejects it as it stands)."""
    last = max(utf8.rfind(b"\n"), utf8.rfind(b"\r")) + 1  # after the last line break
    first = _LINE_END.search(utf8)
    if first is None or first.end() >= last:  # no complete data line before the cut one
        return None
    body, tail = utf8[:last], utf8[last:]
    try:
        table = _parse_csv(body, names)
        [fields] = list(csv.reader([tail.decode("utf-8")]))
    except (pa.ArrowException, csv.Error, ValueError):
        return None
    if len(fields) >= len(names):
        return None
    last = [*fields, *[None] * (len(names) - len(fields))]
    cut = pa.table({n: pa.array([v or None], pa.string()) for n, v in zip(names, last,
                                                                         strict=True)})  # fmt: skip
    return pa.concat_tables([table, cut])


def read_csv(data: bytes, *, line_break_expected: bool = True) -> Extract:
    """Comma-separated, header in the first row; pyarrow parses in parallel.

    ``line_break_expected`` (the department's ``ends_with_line_break``): a last line without
    a line break may be cut, so its row gets a finding; one cut short of fields is kept too.
    """
    _check_not_empty(data)
    utf8, encoding = to_utf8(data)
    first_end = _LINE_END.search(utf8)
    first = utf8[: first_end.start()] if first_end else utf8
    rest = utf8[first_end.end() :] if first_end else b""
    try:
        headers = next(csv.reader([first.decode("utf-8")]), [])
    except csv.Error as exc:
        raise Rejected(f"CSV header (line 1) could not be parsed: {exc}") from None
    if not rest or rest.isspace():
        raise Rejected(f"header only, no data rows (header: {', '.join(headers)})")
    names = [f"c{i}" for i in range(len(headers))]
    suspect = line_break_expected and not ends_with_line_break(utf8)
    try:
        table = _parse_csv(utf8, names)
    except pa.ArrowException as exc:
        table = _cut_csv(utf8, names) if suspect else None
        if table is None:
            hint = f"; {CUT_LAST_ROW}" if suspect else ""
            if "columns, got" in str(exc):
                raise Rejected(_ragged_row(utf8.decode("utf-8"), len(headers)) + hint) from None
            raise Rejected(f"CSV could not be parsed: {exc}{hint}") from None
    findings = (Finding(table.num_rows, "line_break", CUT_LAST_ROW),) if suspect else ()
    return Extract(table, headers, encoding, findings=findings)


@lru_cache(maxsize=1)
def _duck() -> duckdb.DuckDBPyConnection:
    """One in-memory DuckDB with the excel extension (loading it costs ~70 ms per connect);
    each read uses its own cursor, which is safe across threads."""
    from govlake.duck import connect

    return connect()


def sheet_names(data: bytes | BinaryIO) -> list[str]:
    """The workbook's sheets in their order (``xl/workbook.xml``); Rejected if not a workbook.
    ``data``: the file's bytes, or the file open for reading."""
    import xml.etree.ElementTree as ET

    try:
        with zipfile.ZipFile(io.BytesIO(data) if isinstance(data, bytes) else data) as zf:
            if "xl/workbook.xml" not in zf.namelist():
                raise Rejected("not a workbook: a zip file without xl/workbook.xml")
            book = zf.read("xl/workbook.xml")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError):
        raise Rejected("not a workbook: the .xlsx file is not a zip/Office Open XML file") from None
    except RuntimeError as exc:  # encrypted members
        raise Rejected(f"not a readable workbook: {exc}") from None
    try:
        root = ET.fromstring(book)
    except ET.ParseError as exc:
        raise Rejected(f"not a readable workbook: xl/workbook.xml does not parse ({exc})") from None
    return [e.get("name", "") for e in root.iter() if e.tag.rsplit("}", 1)[-1] == "sheet"]


def _read_sheet(path: Path, sheet: str) -> pa.Table | None:
    """One sheet, every cell as text; None for a sheet with no cell at all."""
    con = _duck().cursor()
    try:
        return con.execute(
            "select * from read_xlsx(?, sheet = ?, header = true, all_varchar = true, "
            "stop_at_empty = false)",
            [str(path), sheet],
        ).to_arrow_table()
    except Exception as exc:  # duckdb raises several error types for broken workbooks
        if "No rows found" in str(exc):
            return None
        raise Rejected(f"sheet {sheet!r} is not readable: {str(exc).splitlines()[0]}") from None
    finally:
        con.close()


def _shown_header(names: list[str]) -> str:
    shown = ", ".join(names[:4]) + (", …" if len(names) > 4 else "")
    return f"({shown})"


def drop_blank_rows(t: pa.Table, numbers: pa.Array) -> tuple[pa.Table, pa.Array]:
    """A sheet's rows with no value at all (blank lines) left out, with their row numbers."""
    import pyarrow.compute as pc

    blank = None
    for col in t.columns:
        is_null = pc.is_null(col)
        blank = is_null if blank is None else pc.and_(blank, is_null)
    if blank is None or not pc.any(blank).as_py():
        return t, numbers
    keep = pc.invert(blank)
    keep = keep.combine_chunks() if isinstance(keep, pa.ChunkedArray) else keep
    return t.filter(keep), numbers.filter(keep)


def read_xlsx(path: Path, data: bytes, *, sheet: str | None = None) -> Extract:
    """Every sheet through DuckDB's excel extension, every cell as text.

    Sheets with the same header are read one after the other (``sheets`` names each row's
    sheet; data rows are numbered on through the sheets); sheets with different headers
    reject the file, naming them, unless the register names the one ``sheet`` to read.
    Empty sheets are left out. Blank rows are dropped, their numbers kept.
    """

    _check_not_empty(data)
    names = sheet_names(data)
    if sheet is not None:
        if sheet not in names:
            raise Rejected(
                f"no sheet {sheet!r} (the register's delivery.sheet); the workbook has: "
                + ", ".join(repr(n) for n in names)
            )
        names = [sheet]
    read = [(n, t) for n in names if (t := _read_sheet(path, n)) is not None]
    if not read:
        raise Rejected("empty workbook: no sheet has a cell")
    from govlake.ingest.raw import clean_header

    header_of = {n: [clean_header(h) for h in t.column_names] for n, t in read}
    if len({tuple(h) for h in header_of.values()}) > 1:
        listed = "; ".join(f"{n!r} {_shown_header(header_of[n])}" for n, _ in read)
        raise Rejected(
            f"sheets with different headers: {listed}. Deliver the rows on sheets with one "
            "header, or name the sheet to read in the register (delivery.sheet)"
        )
    headers = list(read[0][1].column_names)
    width = len(headers)
    renamed = [f"c{i}" for i in range(width)]
    tables, rows, sheets, offset = [], [], [], 0
    for n, t in read:
        t = t.rename_columns(renamed)
        numbers = pa.array(range(offset + 1, offset + t.num_rows + 1), pa.int64())
        offset += t.num_rows
        t, numbers = drop_blank_rows(t, numbers)
        tables.append(t)
        rows.append(numbers)
        sheets.append(pa.repeat(pa.scalar(n, pa.string()), t.num_rows))
    table = pa.concat_tables(tables)
    if table.num_rows == 0:
        raise Rejected(f"header only, no data rows (header: {', '.join(headers)})")
    return Extract(table, headers, None, pa.concat_arrays(rows),
                   sheets=pa.concat_arrays(sheets))  # fmt: skip


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


class _Object(dict):
    """A decoded JSON object that remembers the keys it was given more than once."""

    twice: list[str] | None = None


def _object(pairs: list[tuple[str, object]]) -> _Object:
    obj = _Object()
    for key, value in pairs:
        if key in obj:
            obj.twice = [*(obj.twice or []), key]
        obj[key] = value  # the last value, as every JSON parser keeps it
    return obj


_DECODER = json.JSONDecoder(
    parse_int=str, parse_float=str, parse_constant=str, object_pairs_hook=_object
)
_WS = re.compile(r"[ \t\n\r]*")
_LINE_END_TEXT = re.compile(r"\r\n|\r|\n")


def json_columns(
    numbered: list[tuple[int, str]], records: list, keys: list[str] | dict[str, None],
    cut: tuple[int, str] | None,
) -> dict[str, pa.Array]:  # fmt: skip
    """The objects' values as one string column per key: a nested value as delivered (its JSON
    text), a missing key null, and a null row for a cut last line."""
    nested = {
        i: _delivered_values(line)
        for i, ((_, line), rec) in enumerate(zip(numbered, records, strict=True))
        if any(isinstance(v, (dict, list)) for v in rec.values())
    }
    columns = {}
    for key in keys:
        values = [rec.get(key) for rec in records]
        for i, delivered in nested.items():
            if isinstance(values[i], (dict, list)):
                values[i] = delivered[key]
        if cut is not None:
            values.append(None)
        try:
            columns[key] = pa.array(values, pa.string())
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            columns[key] = pa.array([_text(v) for v in values], pa.string())
    return columns


def _delivered_values(line: str) -> dict[str, str]:
    """Top-level key → its value's text exactly as delivered (for nested values: no Python
    repr, no re-serialising; numbers, escapes and spacing as the department wrote them)."""
    out: dict[str, str] = {}
    i = _WS.match(line, 0).end() + 1  # past "{"
    i = _WS.match(line, i).end()
    while i < len(line) and line[i] == '"':
        key, i = scanstring(line, i + 1)
        i = _WS.match(line, i).end() + 1  # past ":"
        i = _WS.match(line, i).end()
        _, end = _DECODER.raw_decode(line, i)
        out[key] = line[i:end]
        i = _WS.match(line, end).end()
        if i < len(line) and line[i] == ",":
            i = _WS.match(line, i + 1).end()
    return out


def _parse_lines(numbered: list[tuple[int, str]]) -> list[object]:
    """Every line decoded; Rejected names the first line that does not parse."""
    try:
        records = _DECODER.decode("[" + ",".join(line for _, line in numbered) + "]")
    except json.JSONDecodeError:
        records = None
    if records is None or len(records) != len(numbered):
        for line_no, line in numbered:
            try:
                _DECODER.decode(line)
            except json.JSONDecodeError as exc:
                raise Rejected(
                    f"JSON line {line_no} does not parse: {exc.msg} at column {exc.colno}"
                ) from None
        raise Rejected("JSON lines could not be parsed")
    return records


def read_jsonl(data: bytes, *, line_break_expected: bool = True) -> Extract:
    """One JSON object per line; values keep their delivered text: numbers as written
    (parse_int/float=str), nested objects and arrays as their JSON text.

    An object that parses is complete, whether or not a line break follows it; a last line
    without a line break that does not parse may be cut: its row is kept with no values and
    a finding (``line_break_expected`` off: the file is rejected). A key given twice in one
    object is a finding on that row, naming the key.
    """
    _check_not_empty(data)
    utf8, encoding = to_utf8(data)
    fast = _jsonl_all_strings(utf8)
    if fast is not None:
        return Extract(fast, list(fast.column_names), encoding).renamed()
    lines = _LINE_END_TEXT.split(utf8.decode("utf-8"))
    numbered = [(i, line) for i, line in enumerate(lines, start=1) if line.strip()]
    findings: list[Finding] = []
    cut: tuple[int, str] | None = None
    try:
        records = _parse_lines(numbered)
    except Rejected as exc:
        last_no, last = numbered[-1]
        try:
            _DECODER.decode(last)
            last_parses = True
        except json.JSONDecodeError:
            last_parses = False
        if not (line_break_expected and not ends_with_line_break(utf8) and not last_parses):
            raise
        if len(numbered) == 1:
            raise Rejected(f"{exc}; {CUT_LAST_ROW}") from None
        cut = (last_no, f"{CUT_LAST_ROW} ({exc})")
        numbered = numbered[:-1]
        records = _parse_lines(numbered)
    headers: dict[str, None] = {}
    for (line_no, _), rec in zip(numbered, records, strict=True):
        if not isinstance(rec, dict):
            raise Rejected(f"JSON line {line_no} is not an object")
        if len(rec) != len(headers) or rec.keys() - headers.keys():
            headers.update(dict.fromkeys(rec))
        if rec.twice:
            keys = ", ".join(repr(k) for k in dict.fromkeys(rec.twice))
            findings.append(Finding(line_no, "json_key", f"JSON key {keys} given more than once "
                                    "in the object: which value is meant is unknown"))  # fmt: skip
    names = list(headers)
    columns = list(json_columns(numbered, records, names, cut).values())
    table = pa.table(columns, names=[f"c{i}" for i in range(len(names))])
    rows = [n for n, _ in numbered]
    if cut is not None:
        rows.append(cut[0])
        findings.append(Finding(cut[0], "line_break", cut[1]))
    return Extract(table, names, encoding, pa.array(rows, pa.int64()), tuple(findings))


def read_file(
    path: Path, data: bytes, *, sheet: str | None = None, line_break_expected: bool = True
) -> Extract:
    """Dispatch on the file's extension. ``sheet``: the register's workbook sheet;
    ``line_break_expected``: the department's ``ends_with_line_break``."""
    fmt = file_format(path)
    if fmt == "csv":
        return read_csv(data, line_break_expected=line_break_expected)
    if fmt == "xlsx":
        return read_xlsx(path, data, sheet=sheet)
    return read_jsonl(data, line_break_expected=line_break_expected)
