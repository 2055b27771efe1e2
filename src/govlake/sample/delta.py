"""A day's delivery after an existing sample (`govlake sample --delta-day`): what the lake gets
the day after its first full extracts, as each resource's delivery kind says.

- 人口 (police, ``registered_person``): ``change_rate`` of the sampled persons change; of
  those, ``leave_share`` are deregistered or moved away, the rest move street or change their
  registration type; a few births are new. A delta resource gets rows with its operation
  column (注销 / 变更 / 新增); a snapshot resource would get the whole extract without the
  persons who left.
- 社保 (hrss, ``social_insurance_enrolment``): the month's changes for the same persons
  (employment changes, and 注销 for the persons who left).
- 法人 (market regulation, ``enterprise_registration``): ``struck_off_rate`` of the entities
  struck off (吊销 or 注销).

Persons and entities are read from the base sample's files (its landing files, or the accepted
zone when a benchmark wrote the sample straight there), streaming, so the city scale (~22M
persons) takes one pass over the police file and holds only the changed rows. No defects are
injected: the delta exercises the base databases, the base sample exercises the gate.
Deterministic: same base files, ``seed`` and ``day`` → the same rows.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from govlake.identifiers import credit_code_problem, make_citizen_id, normalise
from govlake.lake import Lake
from govlake.register import DeliveryKind, Register, Resource
from govlake.sample.writers import ResourceWriter

PERSONS, ENROLMENTS, ENTITIES = (
    "registered_person",
    "social_insurance_enrolment",
    "enterprise_registration",
)


@dataclass
class DeltaResult:
    """What ``generate_delta`` wrote, and the keys a test or benchmark checks afterwards."""

    day: dt.date
    base_day: dt.date
    files: list[Path]
    rows: dict[str, int]
    left: list[str] = field(default_factory=list)  # citizen IDs deregistered / moved away
    changed: list[str] = field(default_factory=list)  # citizen IDs with a changed row
    born: list[str] = field(default_factory=list)  # new citizen IDs
    struck_off: list[str] = field(default_factory=list)  # credit codes
    record_path: Path | None = None


def _base_day(lake: Lake, resource: Resource, day: dt.date) -> dt.date:
    """The date of the sample the delta follows: the newest earlier ``govlake sample`` run
    (its ``_sample/<date>/truth.json``) with a delivery of ``resource``, else the first
    delivery (a fixture written straight to the accepted zone). Never an earlier delta."""
    days = set()
    landing = lake.landing(resource.department, resource.id)
    if landing.is_dir():
        days |= {p.name for p in landing.iterdir() if p.is_dir()}
    accepted = lake.accepted(resource.id)
    if accepted.is_dir():
        days |= {p.name.removeprefix("batch_date=") for p in accepted.glob("batch_date=*")}
    earlier = sorted(d for d in days if d < day.isoformat())
    if not earlier:
        raise FileNotFoundError(
            f"no delivery of {resource.id} before {day} in {lake.root}: run `govlake sample` first"
        )
    samples = [d for d in earlier if (lake.root / "_sample" / d / "truth.json").is_file()]
    return dt.date.fromisoformat(samples[-1] if samples else earlier[0])


def _read(lake: Lake, resource: Resource, base_day: dt.date) -> Iterator[pa.Table]:
    """The base delivery's rows as text columns named by field, batch by batch."""
    import pyarrow.csv as pv
    import pyarrow.json as pj
    import pyarrow.parquet as pq

    names = [f.name for f in resource.fields]
    folder = lake.landing(resource.department, resource.id) / str(base_day)
    files = (
        sorted(p for p in folder.glob(f"*.{resource.delivery.format}")) if folder.is_dir() else []
    )
    if not files:
        parts = sorted((lake.accepted(resource.id) / f"batch_date={base_day}").glob("*.parquet"))
        for part in parts:
            for batch in pq.ParquetFile(part).iter_batches(batch_size=1 << 18, columns=names):
                yield pa.Table.from_batches([batch])
        return
    labels = {f.label: f.name for f in resource.fields} if resource.delivery.headers == "zh" else {}
    for path in files:
        if resource.delivery.format == "csv":
            encoding = resource.delivery.encoding.replace("utf-8-sig", "utf-8")  # BOM skipped
            reader = pv.open_csv(
                path,
                read_options=pv.ReadOptions(encoding=encoding, block_size=1 << 25),
                convert_options=pv.ConvertOptions(
                    column_types={h: pa.string() for h in (labels or names)},
                    strings_can_be_null=True,
                ),
            )  # streaming: one block of the file in memory at a time
            for batch in reader:
                table = pa.Table.from_batches([batch])
                yield table.rename_columns([labels.get(c, c) for c in table.column_names])
        elif resource.delivery.format == "jsonl":
            table = pj.read_json(path)
            yield table.rename_columns([labels.get(c, c) for c in table.column_names])
        else:
            raise ValueError(
                f"{path}: the delta generator reads csv and jsonl deliveries (and the accepted "
                f"zone), not {resource.delivery.format}"
            )


def _rows(table: pa.Table, resource: Resource) -> list[dict[str, str | None]]:
    """Rows as dicts; a field the base files lack (a sample made before the register added it,
    e.g. the operation column) is None."""
    present = set(table.column_names)
    empty = [None] * table.num_rows
    cols = {f.name: table.column(f.name).to_pylist() if f.name in present else empty
            for f in resource.fields}  # fmt: skip
    return [dict(zip(cols, values, strict=True)) for values in zip(*cols.values(), strict=True)]


def _complete(row: dict[str, str | None], resource: Resource, register: Register) -> bool:
    """A base row fit to build a change from (the sample's injected defects are left out)."""
    for f in resource.fields:
        if f.name == resource.delivery.operation:
            continue  # the delta sets it
        value = row.get(f.name)
        if not f.nullable and (value is None or not str(value).strip()):
            return False
        allowed = register.allowed_values(f)
        if allowed and value is not None and normalise(value) not in allowed:
            return False
    return True


def _word(register: Register, meaning: str, prefer: str) -> str:
    words = register.operation_words(meaning)
    return prefer if prefer in words else words[0]


class _Out:
    """One writer per resource with a delivery today."""

    def __init__(self, lake_root: Path, register: Register, day: dt.date, writer):
        self.lake_root, self.register, self.day, self.writer = lake_root, register, day, writer
        self.scratch = lake_root / "_sample" / str(day) / ".scratch"
        self.open: dict[str, object] = {}

    def write(self, resource: Resource, rows: list[dict[str, str | None]]) -> None:
        if resource.id not in self.open:
            rule = self.register.departments[resource.department].delivery
            self.open[resource.id] = self.writer(
                resource, self.lake_root, self.day, self.scratch, delivery=rule
            )
        columns = {f.name: [r.get(f.name) for r in rows] for f in resource.fields}
        self.open[resource.id].append(columns)

    def close(self) -> tuple[list[Path], dict[str, int]]:
        files = [p for w in self.open.values() for p in w.close()]
        rows = {rid: w.rows for rid, w in self.open.items()}
        shutil.rmtree(self.scratch, ignore_errors=True)
        return sorted(files), rows

    def abort(self) -> None:
        for w in self.open.values():
            w.abort()
        shutil.rmtree(self.scratch, ignore_errors=True)


def generate_delta(
    lake_root: Path,
    *,
    day: dt.date,
    seed: int = 42,
    register: Register | None = None,
    change_rate: float = 0.01,
    leave_share: float = 0.2,
    struck_off_rate: float = 0.001,
    base_day: dt.date | None = None,
    writer: Callable[..., ResourceWriter] = ResourceWriter,
) -> DeltaResult:
    """Write ``day``'s deliveries of persons, enrolments and entities after the base sample
    (the newest earlier delivery, or ``base_day``) into the landing zone (or what ``writer``
    writes: the city benchmark writes the accepted zone)."""
    if register is None:
        from govlake.register import load_register

        register = load_register()
    if not 0 < change_rate <= 1 or not 0 <= leave_share <= 1 or not 0 <= struck_off_rate <= 1:
        raise ValueError("change_rate in (0, 1], leave_share and struck_off_rate in [0, 1]")
    lake = Lake(lake_root)
    persons = register.resource(PERSONS)
    base = base_day or _base_day(lake, persons, day)
    rng = np.random.default_rng([seed, 7001, day.toordinal()])
    out = _Out(Path(lake_root), register, day, writer)
    result = DeltaResult(day=day, base_day=base, files=[], rows={})
    try:
        employers = _entities(lake, register, base, rng, struck_off_rate, out, result)
        _persons(lake, register, base, day, rng, change_rate, leave_share, employers, out, result)
        result.files, result.rows = out.close()
    except BaseException:
        out.abort()
        raise
    record = Path(lake_root) / "_sample" / str(day) / "delta.json"
    record.parent.mkdir(parents=True, exist_ok=True)
    data = {"day": str(day), "base_day": str(base), "seed": seed, "rows": result.rows,
            "left": len(result.left), "changed": len(result.changed),
            "born": len(result.born), "struck_off": len(result.struck_off)}  # fmt: skip
    tmp = record.with_name(f".tmp-{os.getpid()}-{record.name}")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, record)
    result.record_path = record
    return result


def _entities(
    lake: Lake,
    register: Register,
    base: dt.date,
    rng: np.random.Generator,
    rate: float,
    out: _Out,
    result: DeltaResult,
) -> list[str]:
    """Struck-off entities (吊销 / 注销); returns some live credit codes (employers)."""
    if ENTITIES not in register.resources:
        return []
    res = register.resource(ENTITIES)
    op = res.delivery.operation
    employers: list[str] = []
    struck: list[dict] = []
    for table in _read(lake, res, base):
        pick = np.flatnonzero(rng.random(table.num_rows) < rate)
        step = max(1, table.num_rows // 200)
        keep = table.take(pa.array(sorted({*pick.tolist(), *range(0, table.num_rows, step)})))
        picked = set(pick.tolist())
        for i, row in zip(sorted(picked | set(range(0, table.num_rows, step))),
                          _rows(keep, res), strict=True):  # fmt: skip
            code = normalise(row["credit_code"] or "")
            if credit_code_problem(code) is not None or not _complete(row, res, register):
                continue
            if i in picked:
                word = "吊销" if rng.random() < 0.5 else "注销"
                row = row | {"credit_code": code, "status": word}
                if op:
                    row[op] = _word(register, "delete", word)
                struck.append(row)
                result.struck_off.append(code)
            else:
                employers.append(code)
    if res.delivery.kind is DeliveryKind.delta and struck:
        out.write(res, struck)
    # (a snapshot market extract would be the whole register without them: not generated)
    return employers


def _persons(
    lake: Lake,
    register: Register,
    base: dt.date,
    day: dt.date,
    rng: np.random.Generator,
    rate: float,
    leave_share: float,
    employers: list[str],
    out: _Out,
    result: DeltaResult,
) -> None:
    res = register.resource(PERSONS)
    op = res.delivery.operation
    snapshot = res.delivery.kind is DeliveryKind.snapshot
    streets = list(register.vocab.get("street", {}))
    regtypes = list(register.vocab.get("registration_type", {}))
    changed: list[dict] = []
    enrol = register.resources.get(ENROLMENTS)
    enrolments: list[dict] = []
    households: list[str] = []
    for table in _read(lake, res, base):
        n = table.num_rows
        draw = rng.random(n)
        pick = np.flatnonzero(draw < rate)
        leaving = rng.random(len(pick)) < leave_share
        if snapshot:  # the whole extract again, without the persons who left
            gone = set(pick[leaving].tolist())
            rows = [r for i, r in enumerate(_rows(table, res)) if i not in gone]
            out.write(res, rows)
        picked_rows = _rows(table.take(pa.array(pick)), res)
        for leaves, row in zip(leaving.tolist(), picked_rows, strict=True):
            cid = normalise(row["citizen_id"] or "")
            if len(cid) != 18 or not _complete(row, res, register):
                continue
            row = row | {"citizen_id": cid}
            if leaves:
                result.left.append(cid)
                if op:
                    changed.append(row | {op: _word(register, "delete", "注销")})
                if enrol is not None:
                    enrolments.append(_enrolment(enrol, register, row, None, delete=True))
                continue
            move = rng.random() < 0.7
            row = row | (
                {"street_code": streets[int(rng.integers(len(streets)))]}
                if move and streets
                else {"registration_type": regtypes[int(rng.integers(len(regtypes)))]}
            )
            if op:
                row[op] = _word(register, "update", "变更")
            changed.append(row)
            result.changed.append(cid)
            households.append(row["household_id"])
            if enrol is not None and employers and rng.random() < 0.5:
                employer = employers[int(rng.integers(len(employers)))]
                enrolments.append(_enrolment(enrol, register, row, employer, delete=False))
    # births on the day: their birth date is the delivery day, so no ID can exist already
    for i in range(min(max(1, len(result.changed) // 50), 999)):
        male = bool(i % 2)
        cid = make_citizen_id("110107", day, i // 2, male)
        row = {"citizen_id": cid, "person_name": f"新生{i + 1}", "sex": "男" if male else "女",
               "birth_date": day.isoformat(), "ethnicity": "汉族",
               "household_id": households[i % len(households)] if households else f"B{i:08d}",
               "street_code": streets[i % len(streets)] if streets else None,
               "registration_type": "户籍", "move_in_date": None}  # fmt: skip
        if op:
            row[op] = _word(register, "insert", "新增")
        changed.append(row)
        result.born.append(cid)
    if not snapshot:
        out.write(res, changed)
    if enrol is not None and enrolments:
        kind = enrol.delivery.kind
        if kind is DeliveryKind.delta:
            out.write(enrol, [r for r in enrolments if r is not None])


def _enrolment(
    res: Resource, register: Register, person: dict, employer: str | None, *, delete: bool
) -> dict | None:
    """A month's enrolment change of one person (or its end, 注销)."""
    op = res.delivery.operation
    row: dict[str, str | None] = {f.name: None for f in res.fields}
    row["citizen_id"] = person["citizen_id"]
    statuses = register.allowed_values(res.field_map["employment_status"]) or ["在职"]
    row["employment_status"] = statuses[zlib.crc32(person["citizen_id"].encode()) % 2]
    row["employer_credit_code"] = employer
    row["insurance_types"] = "养老;医疗"
    if op:
        row[op] = _word(register, "delete" if delete else "update", "注销" if delete else "变更")
    elif delete:
        return None
    return row
