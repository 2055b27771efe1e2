"""Landing files in each resource's declared delivery (csv/xlsx/jsonl, encoding, headers).

Writers stream: rows are appended chunk by chunk and the file appears under its final name
only when complete (temporary name, then rename), so a killed run leaves no partial file in
the landing zone. Workbooks are staged as Parquet outside the landing zone and converted by
DuckDB's excel extension; more than ``XLSX_MAX_ROWS`` rows go to several workbooks (Excel's
sheet limit is 1,048,576 rows).

Then, as the department's front-end exchange server would, the writer marks the delivery
complete the way the register says (``delivery.completion``: ``<file>.ok`` beside each file or
``_SUCCESS`` in the date folder), so ingest takes it at once; a ``settle`` department's files
are taken once unchanged for its settle time.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from govlake.lake import Lake
from govlake.register import DepartmentDelivery, Resource

XLSX_MAX_ROWS = 1_000_000


def headers(resource: Resource) -> list[str]:
    """Column names as delivered: Chinese labels (headers: zh) or field names (en)."""
    if resource.delivery.headers == "zh":
        return [f.label for f in resource.fields]
    return [f.name for f in resource.fields]


def _department_delivery(resource: Resource) -> DepartmentDelivery:
    """The completion rule of the resource's department in the configured register (when the
    caller did not pass the register's own)."""
    from govlake.register import load_register

    return load_register().departments[resource.department].delivery


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")


def _tmp(path: Path) -> Path:
    return path.with_name(f".tmp-{os.getpid()}-{path.name}")


class ResourceWriter:
    """Appends rows (register field order) to one resource's landing file(s)."""

    def __init__(
        self,
        resource: Resource,
        lake_root: Path,
        batch_date: dt.date,
        scratch: Path,
        delivery: DepartmentDelivery | None = None,
    ):
        self.resource = resource
        self.lake = Lake(lake_root)
        self.delivery = delivery or _department_delivery(resource)
        self.fmt = resource.delivery.format
        self.folder = Lake(lake_root).landing(resource.department, resource.id) / str(batch_date)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.landing_root = Lake(lake_root).landing_root
        self.path = self.folder / f"{resource.id}.{self.fmt}"
        self.headers = headers(resource)
        self.names = [f.name for f in resource.fields]
        self.rows = 0
        self._scratch = scratch / f"{resource.id}.parquet"
        self._pq: pq.ParquetWriter | None = None
        if self.fmt == "xlsx":
            scratch.mkdir(parents=True, exist_ok=True)
            schema = pa.schema([(h, pa.string()) for h in self.headers])
            self._pq = pq.ParquetWriter(self._scratch, schema)
        else:
            encoding = resource.delivery.encoding if self.fmt == "csv" else "utf-8"
            self._fh = open(_tmp(self.path), "w", encoding=encoding, newline="")  # noqa: SIM115
            if self.fmt == "csv":
                # Windows-style line ends for the Excel/GBK exports, plain \n for UTF-8 systems
                end = "\n" if resource.delivery.encoding == "utf-8" else "\r\n"
                self._csv = csv.writer(self._fh, lineterminator=end)
                self._csv.writerow(self.headers)

    def part_path(self, part: int) -> Path:
        return self.path if part == 0 else self.folder / f"{self.resource.id}.{part + 1:03d}.xlsx"

    def locate(self, row: int) -> tuple[str, int]:
        """(file relative to landing/, 1-based data row) of 0-based resource row ``row``."""
        part, within = divmod(row, XLSX_MAX_ROWS) if self.fmt == "xlsx" else (0, row)
        rel = self.part_path(part).relative_to(self.landing_root).as_posix()
        return rel, within + 1

    def append(self, columns: dict[str, list[str | None]]) -> int:
        """Write rows; returns the 0-based index of the first one."""
        start = self.rows
        values = [columns[n] for n in self.names]
        n = len(values[0]) if values else 0
        if self.fmt == "csv":
            self._csv.writerows(zip(*values, strict=True))
        elif self.fmt == "jsonl":
            dumps = json.dumps
            keys = self.headers
            self._fh.writelines(
                dumps(dict(zip(keys, row, strict=True)), ensure_ascii=False, separators=(",", ":"))
                + "\n"
                for row in zip(*values, strict=True)
            )
        else:
            assert self._pq is not None
            table = pa.table([pa.array(v, pa.string()) for v in values], names=self.headers)
            self._pq.write_table(table)
        self.rows += n
        return start

    def close(self) -> list[Path]:
        """Finish the file(s), move them into place and mark them complete; returns the paths
        written (the markers are not deliveries)."""
        paths = self._place()
        from govlake.ingest.landing import mark_complete

        mark_complete(self.lake, self.resource, self.delivery, paths)
        return paths

    def _place(self) -> list[Path]:
        if self.fmt != "xlsx":
            self._fh.close()
            os.replace(_tmp(self.path), self.path)
            return [self.path]
        assert self._pq is not None
        self._pq.close()
        from govlake.duck import connect

        con = connect()
        paths = []
        source = _quote(self._scratch)
        try:
            parts = max(1, -(-self.rows // XLSX_MAX_ROWS))
            for part in range(parts):
                target = self.part_path(part)
                lo = part * XLSX_MAX_ROWS
                cols = ", ".join(f'"{h}"' for h in self.headers)
                con.execute(
                    f"COPY (SELECT {cols} FROM read_parquet('{source}', file_row_number = true) "
                    f"WHERE file_row_number >= {lo} AND file_row_number < {lo + XLSX_MAX_ROWS} "
                    f"ORDER BY file_row_number) TO '{_quote(_tmp(target))}' "
                    "(FORMAT xlsx, HEADER true)"
                )
                os.replace(_tmp(target), target)
                paths.append(target)
        finally:
            con.close()
            self._scratch.unlink(missing_ok=True)
        return paths

    def abort(self) -> None:
        """Remove temporary files after a failure (nothing reaches the landing zone)."""
        if self.fmt == "xlsx":
            if self._pq is not None:
                self._pq.close()
            self._scratch.unlink(missing_ok=True)
        else:
            self._fh.close()
            _tmp(self.path).unlink(missing_ok=True)
