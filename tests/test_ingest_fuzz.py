"""Fuzz (issue #10): hundreds of mutations of real sample files (truncations at random offsets,
flipped bytes, swapped encodings, deleted or doubled lines, CR/LF mixes, JSON keys given twice
and nested values, random sheet layouts) go through ingest and the quality gate. Every file
gets exactly one manifest entry with a status, nothing raises, and for every accepted file
delivered = accepted + quarantined, counted in the zones themselves."""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from test_ingest import complete, landing_file
from test_landing import workbook

from govlake.lake import Lake, read_accepted

pytestmark = pytest.mark.integration

DAY = dt.date(2026, 11, 2)
SEEDS = {  # resource → the sample file it starts from (format, encoding, department's marker)
    "registered_person": "csv",  # GB18030, CRLF, <file>.ok
    "enterprise_registration": "csv",  # UTF-8 with BOM, <file>.ok
    "economic_indicator": "csv",  # UTF-8, LF, _SUCCESS
    "elderly_care_benefit": "jsonl",  # _SUCCESS
    "hotel": "xlsx",  # _SUCCESS
}
BUG = re.compile(
    r"could not be read: (TypeError|AttributeError|KeyError|IndexError|NameError|"
    r"AssertionError|UnboundLocalError)"
)
PER_SEED = 42  # 5 x 42 = 210 mutated files
ROWS = 40  # data rows kept from each sample file


@pytest.fixture(scope="module")
def samples(tmp_path_factory) -> dict[str, tuple[str, object]]:
    """Each seed resource's sample file, cut to its first ``ROWS`` data rows: bytes for text
    files, (header, rows) for workbooks."""
    from govlake.duck import connect
    from govlake.register import load_register
    from govlake.sample import generate

    root = tmp_path_factory.mktemp("fuzz-sample") / "lake"
    result = generate(root, scale="tiny", seed=11, defect_rate=0.05, batch_date=DAY,
                      register=load_register())  # fmt: skip
    out: dict[str, tuple[str, object]] = {}
    for rid, fmt in SEEDS.items():
        [path] = result.files_of(rid)
        if fmt == "xlsx":
            con = connect()
            table = con.execute(
                "select * from read_xlsx(?, header = true, all_varchar = true)", [str(path)]
            ).to_arrow_table()
            con.close()
            rows = [list(r.values()) for r in table.slice(0, ROWS).to_pylist()]
            out[rid] = (fmt, (table.column_names, rows))
        else:
            data = path.read_bytes()
            lines = data.splitlines(keepends=True)
            out[rid] = (fmt, b"".join(lines[: ROWS + 1]))
    return out


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True)


def _reencode(data: bytes, rng: random.Random) -> bytes:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("gb18030", errors="replace")
    target = rng.choice(["utf-8", "utf-8-sig", "gb18030", "utf-16", "latin-1"])
    return text.encode(target, errors="replace")


def _line_ends(data: bytes, rng: random.Random) -> bytes:
    ends = [b"\n", b"\r\n", b"\r"]
    out = []
    for line in _lines(data):
        body = line.rstrip(b"\r\n")
        out.append(body + rng.choice(ends) if body != line else body)
    return b"".join(out)


def _json_twists(data: bytes, rng: random.Random) -> bytes:
    """JSON-specific mutations: a key given twice, a value nested, a number for a string."""
    lines = data.decode("utf-8").splitlines()
    i = rng.randrange(1, len(lines))
    rec = json.loads(lines[i])
    key = rng.choice(list(rec))
    kind = rng.randrange(3)
    if kind == 0:
        lines[i] = lines[i][:-1] + f", {json.dumps(key)}: {json.dumps(rec[key])}" + "}"
    elif kind == 1:
        rec[key] = {"v": rec[key], "n": [1, 2.50]}
        lines[i] = json.dumps(rec, ensure_ascii=False)
    else:
        rec[key] = rng.choice([12, 3.0, True, None])
        lines[i] = json.dumps(rec, ensure_ascii=False)
    return ("\n".join(lines) + rng.choice(["\n", ""])).encode("utf-8")


def mutate_bytes(data: bytes, rng: random.Random, fmt: str) -> bytes:
    kinds = ["truncate", "flip", "encoding", "delete", "double", "line_ends", "blank", "combo"]
    if fmt == "jsonl":
        kinds += ["json", "json"]
    kind = rng.choice(kinds)
    if kind == "truncate":
        return data[: rng.randrange(0, len(data) + 1)]
    if kind == "flip":
        out = bytearray(data)
        for _ in range(rng.randint(1, 6)):
            out[rng.randrange(len(out))] = rng.randrange(256)
        return bytes(out)
    if kind == "encoding":
        return _reencode(data, rng)
    lines = _lines(data)
    if kind == "delete" and len(lines) > 1:
        for _ in range(rng.randint(1, 4)):
            del lines[rng.randrange(len(lines))]
        return b"".join(lines)
    if kind == "double":
        i = rng.randrange(len(lines))
        return b"".join(lines[: i + 1] + [lines[i]] * rng.randint(1, 3) + lines[i + 1 :])
    if kind == "line_ends":
        return _line_ends(data, rng)
    if kind == "blank":
        i = rng.randrange(len(lines))
        return b"".join([*lines[:i], rng.choice([b"\r\n", b"\n", b"  \n", b",,,\n"]), *lines[i:]])
    if kind == "json":
        return _json_twists(data, rng)
    return mutate_bytes(mutate_bytes(data, rng, fmt), rng, fmt)  # two at once


def mutate_workbook(path: Path, header: list[str], rows: list[list], rng: random.Random) -> None:
    """Random sheet layouts: rows split over sheets, a cover sheet, shuffled or renamed columns,
    empty sheets, rows cut short; or the workbook's bytes damaged."""
    kind = rng.randrange(6)
    rows = [list(r) for r in rows]
    if kind == 0:  # rows continue over several sheets with one header
        cuts = sorted(rng.sample(range(1, len(rows)), rng.randint(1, 3)))
        parts = [rows[a:b] for a, b in zip([0, *cuts], [*cuts, len(rows)], strict=True)]
        workbook(path, {f"第{i + 1}页": (header, p) for i, p in enumerate(parts)})
    elif kind == 1:  # a cover sheet first
        workbook(path, {"说明": (["填报说明"], [["本表由区文旅局报送"]]), "数据": (header, rows)})
    elif kind == 2:  # the second sheet's columns in another order
        order = rng.sample(range(len(header)), len(header))
        half = len(rows) // 2
        workbook(path, {"A": (header, rows[:half]),
                        "B": ([header[i] for i in order],
                              [[r[i] for i in order] for r in rows[half:]])})  # fmt: skip
    elif kind == 3:  # empty sheets around the data, blank rows inside
        blank = [[None] * len(header)]
        data = rows[:5] + blank + rows[5:]
        workbook(path, {"空1": ([], []), "数据": (header, data), "空2": ([], [])})
    elif kind == 4:  # values cut or missing
        for r in rng.sample(rows, 5):
            r[rng.randrange(len(r))] = None
        workbook(path, {"Sheet1": (header, rows)})
    else:  # damaged bytes
        workbook(path, {"Sheet1": (header, rows)})
        data = bytearray(path.read_bytes())
        if rng.random() < 0.5:
            data = data[: rng.randrange(len(data))]
        else:
            for _ in range(rng.randint(1, 20)):
                data[rng.randrange(len(data))] = rng.randrange(256)
        path.write_bytes(bytes(data))


def _zone_rows(folder: Path, batch_id: str) -> int:
    parts = list(folder.glob(f"batch_date=*/part-{batch_id}.parquet"))
    return sum(pq.read_metadata(p).num_rows for p in parts)


class _Tracebacks(logging.Handler):
    """Collects every log record of govlake that carries an exception (a traceback)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.records.append(record)


def test_mutated_sample_files_are_each_accounted_for(lake_root, register, samples) -> None:
    from govlake.ingest import STATUSES, ingest_resource, read_manifest
    from govlake.pipeline import gate_step

    rng = random.Random(20261201)
    lake = Lake(lake_root)
    written: dict[str, list[Path]] = {}
    for rid, (fmt, seed) in samples.items():
        resource = register.resource(rid)
        paths = []
        for i in range(PER_SEED):
            day = f"2026-11-{1 + i % 5:02d}"
            path = landing_file(lake_root, resource, f"m{i:03d}.{fmt}", day)
            if fmt == "xlsx":
                header, rows = seed
                mutate_workbook(path, header, rows, rng)
            else:
                path.write_bytes(mutate_bytes(seed, rng, fmt))
            paths.append(path)
        complete(lake_root, resource, *paths)
        written[rid] = paths
    assert sum(len(p) for p in written.values()) >= 200

    tracebacks = _Tracebacks()
    logging.getLogger("govlake").addHandler(tracebacks)
    try:
        statuses: dict[str, int] = {}
        for rid, paths in written.items():
            report = ingest_resource(rid, register=register)
            unexpected = [r for r in report.results if "not recorded" in (r.reason or "")]
            assert not unexpected, [(r.path.name, r.reason) for r in unexpected]
            gate = gate_step(rid)  # raises nothing; held batches are problems, not errors
            assert all("could not run" not in p for p in gate["problems"]), gate["problems"]

            entries = read_manifest(rid, lake=lake)
            by_path = {}
            for e in entries:
                assert e["path"] not in by_path, f"two entries for {e['path']}"
                by_path[e["path"]] = e
            landed = {p.relative_to(lake.landing_root).as_posix() for p in paths}
            assert set(by_path) == landed  # every file exactly one entry, nothing else
            for e in entries:
                assert e["status"] in STATUSES and e["status"] not in {"ingested", "superseded"}
                statuses[e["status"]] = statuses.get(e["status"], 0) + 1
                if e["status"] == "rejected":  # a reason for people, not a bug of ours
                    assert e["reason"] and not BUG.search(e["reason"]), e
                if e["status"] != "accepted":
                    continue
                batch = e["batch_id"]
                raw = _zone_rows(lake.raw(rid), batch)
                accepted = read_accepted(lake, rid, batch)
                kept = 0 if accepted is None else accepted.num_rows
                quarantined = _zone_rows(lake.quarantine(rid), batch)
                assert raw == e["rows"] == kept + quarantined, e
                assert (e["accepted_rows"], e["quarantined_rows"]) == (kept, quarantined)
    finally:
        logging.getLogger("govlake").removeHandler(tracebacks)
    assert not tracebacks.records, [r.getMessage() for r in tracebacks.records]
    # the mutations reach every outcome, not just rejection
    assert {"accepted", "rejected"} <= set(statuses), statuses
    assert statuses["accepted"] >= 40, statuses
