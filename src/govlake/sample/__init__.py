"""Synthetic department extracts (`govlake sample`): the lake's test data, never real people.

``generate`` writes one landing file per register resource, in the format, encoding and
headers the register declares, with realistic cross-department disagreements and delivery
defects, and records both (``_sample/<date>/``) so tests can check every stage exactly.
Persons and entities are generated in chunks, so the city scale runs in bounded memory.

The linked population and entity universe have bespoke generators (``GENERATED``); every
other resource is generated from its register entry alone (``sample.generic``), so a new
department YAML needs no code here.
"""

from __future__ import annotations

import datetime as dt
import shutil
import zlib
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from govlake.register import Register
from govlake.sample import places, stats
from govlake.sample.defects import FATAL, inject
from govlake.sample.entities import EntityFactory
from govlake.sample.generic import Context, GenericResource, Links, order
from govlake.sample.people import PersonFactory, police_rows
from govlake.sample.pools import get_pools
from govlake.sample.record import DEFECT_SCHEMA, DISAGREEMENT_SCHEMA, Sink, Truth, age_band
from govlake.sample.rows import Disagreements, Rows
from govlake.sample.scales import SCALES, get_scale
from govlake.sample.services import civil_rows, hrss_rows
from govlake.sample.writers import ResourceWriter

__all__ = ["SCALES", "SampleResult", "generate"]

GENERATED = frozenset(
    {
        "registered_person",
        "household",
        "social_insurance_enrolment",
        "elderly_care_benefit",
        "disability_benefit",
        "enterprise_registration",
        "tax_registration",
        "statistical_unit",
        "economic_indicator",
        "investment_project",
        "medical_institution",
        "medical_service_volume",
        "scenic_spot",
        "hotel",
        "tourism_monthly",
    }
)
# the bespoke resources fed by the entity and the person generators (skipped when none is wanted)
ENTITY_FED = frozenset(
    {
        "enterprise_registration",
        "tax_registration",
        "statistical_unit",
        "hotel",
        "investment_project",
        "social_insurance_enrolment",
    }
)
PERSON_FED = frozenset(
    {
        "registered_person",
        "household",
        "social_insurance_enrolment",
        "elderly_care_benefit",
        "disability_benefit",
    }
)


@dataclass
class SampleResult:
    """What ``generate`` wrote: landing files, rows per resource, the record files."""

    lake_root: Path
    batch_date: dt.date
    scale: str
    seed: int
    files: list[Path]
    rows: dict[str, int]
    defects: int
    disagreements: int
    defects_path: Path
    disagreements_path: Path
    truth_path: Path

    @property
    def record_dir(self) -> Path:
        return self.defects_path.parent

    def files_of(self, resource_id: str) -> list[Path]:
        """The landing file(s) of one resource (several workbooks only beyond 1M rows)."""
        return [p for p in self.files if p.parent.parent.name == resource_id]


class _Run:
    """State of one generation: writers, record sinks, truth counters, defect quotas."""

    def __init__(
        self,
        lake_root: Path,
        register: Register,
        seed: int,
        rate: float,
        batch_date: dt.date,
        progress: Callable[[str, int], None] | None,
        truth: Truth,
        writer: Callable[..., ResourceWriter] = ResourceWriter,
        bespoke: frozenset[str] = GENERATED,
        generic: Context | None = None,
    ):
        self.register, self.seed, self.rate, self.progress = register, seed, rate, progress
        self.bespoke_ids, self.generic = bespoke, generic
        self.links = generic.links if generic else None
        self.authority = {a: rid for a, (rid, _) in register.authorities().items()}
        self.record_dir = lake_root / "_sample" / str(batch_date)
        self.record_dir.mkdir(parents=True, exist_ok=True)
        self.scratch = self.record_dir / ".scratch"
        rule = {d.id: d.delivery for d in register.departments.values()}
        self.writers = {  # each marks its files complete as its department's rule says
            rid: writer(r, lake_root, batch_date, self.scratch, delivery=rule[r.department])
            for rid, r in register.resources.items()
        }
        self.defect_sink = Sink(self.record_dir / "defects.parquet", DEFECT_SCHEMA)
        self.dis_sink = Sink(self.record_dir / "disagreements.parquet", DISAGREEMENT_SCHEMA)
        self.truth = truth
        self.generated: dict[str, int] = dict.fromkeys(register.resources, 0)
        self.batches: dict[str, int] = dict.fromkeys(register.resources, 0)

    def emit(self, rid: str, rows: Rows) -> np.ndarray:
        """Inject defects, append to the file, record; returns the fatal mask of clean rows."""
        n = len(rows)
        before = self.generated[rid]
        quota = int(self.rate * (before + n) + 0.5) - int(self.rate * before + 0.5)
        self.generated[rid] = before + n
        rng = np.random.default_rng([self.seed, 301, zlib.crc32(rid.encode()), self.batches[rid]])
        self.batches[rid] += 1
        resource = self.register.resource(rid)
        if self.links is not None:
            self.links.capture(rid, rows)
        columns, defects = inject(resource, rows, quota, rng)
        writer = self.writers[rid]
        start = writer.append(columns)
        fatal = np.zeros(n, dtype=bool)
        for d in defects:
            file, row = writer.locate(start + d.row)
            dup = writer.locate(start + d.duplicate_of)[1] if d.duplicate_of is not None else None
            self.defect_sink.add(
                (rid, file, row, d.field, d.kind, d.fatal, d.clean_value, d.delivered_value, dup)
            )
            self.truth.defects[rid][d.kind] += 1
            if d.kind in FATAL:
                self.truth.fatal_rows[rid] += 1
                if d.kind != "duplicate_row":
                    fatal[d.origin] = True
        self.truth.rows[rid] = writer.rows
        if self.progress:
            self.progress(rid, writer.rows)
        return fatal

    def bespoke(self, rid: str, rows: Rows) -> np.ndarray | None:
        """``emit`` a bespoke generator's rows (with any field the register added since filled
        by the generic rules); None if this run leaves the resource out."""
        if rid not in self.bespoke_ids:
            return None
        if self.generic is not None:
            rows = self.generic.complete(self.register.resource(rid), rows)
        return self.emit(rid, rows)

    def record(self, dis: Disagreements) -> None:
        """Record the disagreements whose resource and authority both come out of this run."""
        for row in dis.rows:
            if {row[2], self.authority.get(row[0])} - self.bespoke_ids:
                continue
            self.dis_sink.add(row)
            self.truth.disagreements[f"{row[0]}/{row[2]}"] += 1
        dis.rows.clear()

    def close(self) -> list[Path]:
        files = [p for w in self.writers.values() for p in w.close()]
        self.defect_sink.close()
        self.dis_sink.close()
        shutil.rmtree(self.scratch, ignore_errors=True)
        return sorted(files)

    def abort(self) -> None:
        for w in self.writers.values():
            w.abort()
        self.defect_sink.abort()
        self.dis_sink.abort()
        shutil.rmtree(self.scratch, ignore_errors=True)


def generate(
    lake_root: Path,
    *,
    scale: str = "tiny",
    seed: int = 42,
    defect_rate: float = 0.02,
    batch_date: dt.date,
    register: Register | None = None,
    progress: Callable[[str, int], None] | None = None,
    chunk_size: int | None = None,
    writer: Callable[..., ResourceWriter] = ResourceWriter,
    bespoke: Collection[str] | None = None,
) -> SampleResult:
    """Write one batch of every register resource into ``lake_root/landing`` and its record.

    Same ``seed``, ``scale``, ``batch_date`` (and ``chunk_size``) → byte-identical files.
    ``chunk_size`` bounds how many persons/entities are in memory at once. ``writer`` makes
    the files (``ResourceWriter``'s constructor and methods); the city-scale build benchmark
    passes one that writes the accepted zone directly, skipping delivery formats.
    ``bespoke``: the resources made by their bespoke generator (default: all of ``GENERATED``
    in the register); every other resource is generated from its register entry.
    """
    if register is None:
        from govlake.register import load_register

        register = load_register()
    unknown = set(bespoke or ()) - GENERATED
    if unknown:
        raise ValueError(f"no bespoke generator for {sorted(unknown)}; known: {sorted(GENERATED)}")
    active = frozenset(GENERATED if bespoke is None else bespoke) & set(register.resources)
    generic = [rid for rid in register.resources if rid not in active]
    if not 0 <= defect_rate < 0.5:
        raise ValueError(f"defect_rate {defect_rate} must be in [0, 0.5)")
    size = get_scale(scale)
    chunk = chunk_size or size.chunk_size
    if chunk < 1:
        raise ValueError("chunk_size must be positive")
    lake_root = Path(lake_root)
    pools = get_pools(seed)
    truth = Truth(
        seed=seed,
        scale=scale,
        batch_date=str(batch_date),
        defect_rate=defect_rate,
        chunk_size=chunk,
        generic_resources=sorted(generic),
    )
    links = Links(register, generic) if generic else None
    ctx = Context(register, seed, batch_date, size.months, pools, links)
    run = _Run(
        lake_root, register, seed, defect_rate, batch_date, progress, truth, writer, active, ctx
    )
    try:
        _generate(run, size.persons, size.entities, size.months, chunk, seed, batch_date, pools)
        for slot, rid in enumerate(order(register, generic, links)):
            maker = GenericResource(register.resource(rid), ctx, slot)
            for rows in maker.rows(size.generic_rows, chunk):
                run.emit(rid, rows)
        files = run.close()
    except BaseException:
        run.abort()
        raise
    truth_path = run.record_dir / "truth.json"
    truth.write(truth_path)
    return SampleResult(
        lake_root=lake_root,
        batch_date=batch_date,
        scale=scale,
        seed=seed,
        files=files,
        rows=dict(truth.rows),
        defects=run.defect_sink.count,
        disagreements=run.dis_sink.count,
        defects_path=run.defect_sink.path,
        disagreements_path=run.dis_sink.path,
        truth_path=truth_path,
    )


def _generate(
    run: _Run,
    n_persons: int,
    n_entities: int,
    months: int,
    chunk: int,
    seed: int,
    batch_date: dt.date,
    pools,
) -> None:
    """The bespoke generators; each emits only the resources this run makes bespoke."""
    truth = run.truth
    dis = Disagreements()
    # ------------------------------------------------------------------ 法人 (legal entities)
    entities = EntityFactory(seed, batch_date, pools)
    for lo in range(0, n_entities if run.bespoke_ids & ENTITY_FED else 0, chunk):
        n = min(chunk, n_entities - lo)
        er = entities.chunk(n, dis)
        valid = {}
        for rid, rows in (
            ("enterprise_registration", er.market),
            ("tax_registration", er.tax),
            ("statistical_unit", er.stats),
        ):
            fatal = run.bespoke(rid, rows)
            if fatal is None:
                continue
            ok = np.zeros(n, dtype=bool)
            ok[rows.entity[~fatal]] = True
            valid[rid] = ok
            truth.counts[f"entities_valid_{run.register.resource(rid).department}"] += int(ok.sum())
        if valid:
            any_valid = np.logical_or.reduce(list(valid.values()))
            truth.counts["entities_valid_any"] += int(any_valid.sum())
        truth.counts["entities"] += n
        run.record(dis)

    # ------------------------------------------------------------------ 人口 (persons)
    people = PersonFactory(seed, batch_date, pools)
    employers = entities.pool.employers()
    for c, lo in enumerate(range(0, n_persons if run.bespoke_ids & PERSON_FED else 0, chunk)):
        n = min(chunk, n_persons - lo)
        p, hh = people.chunk(n)
        rng = np.random.default_rng([seed, 401, c])
        persons, households = police_rows(p, hh)
        elderly, disability, carries = civil_rows(rng, p, pools, batch_date, dis)
        hrss = hrss_rows(rng, p, employers, batch_date)
        fatal_p = run.bespoke("registered_person", Rows(persons, carries, np.arange(n)))
        fatal_h = run.bespoke("household", Rows(households))
        valid_any = np.zeros(n, dtype=bool) if fatal_p is None else ~fatal_p
        for rid, rows in (
            ("social_insurance_enrolment", hrss),
            ("elderly_care_benefit", elderly),
            ("disability_benefit", disability),
        ):
            fatal = run.bespoke(rid, rows)
            if fatal is None:
                continue
            ok = np.zeros(n, dtype=bool)
            ok[rows.entity[~fatal]] = True
            valid_any |= ok
        run.record(dis)
        truth.counts["persons"] += n
        truth.counts["households"] += len(hh.hid)
        truth.counts["persons_valid_any"] += int(valid_any.sum())
        truth.counts["persons_80_plus"] += int((p.age >= 80).sum())
        if fatal_h is not None:
            truth.counts["households_valid"] += int((~fatal_h).sum())
        if fatal_p is not None:
            ok = ~fatal_p
            truth.counts["persons_valid_police"] += int(ok.sum())
            keys = zip(
                p.street[ok].tolist(), p.sex[ok].tolist(), age_band(p.age[ok]).tolist(), strict=True
            )
            truth.population.update(keys)

    # ------------------------------------------------------------------ facilities and series
    want = run.bespoke_ids
    rng = np.random.default_rng([seed, 501])
    if want & {"medical_institution", "medical_service_volume"}:
        med, insts = places.medical_institutions(rng, max(15, n_persons // 2400), seed, pools)
        run.bespoke("medical_institution", med)
        volumes = stats.medical_service_volumes(rng, insts, batch_date, months)
        run.bespoke("medical_service_volume", volumes)
    if want & {"scenic_spot", "tourism_monthly"}:
        spots = places.scenic_spots(rng, max(9, min(60, n_persons // 40_000)), pools)
        run.bespoke("scenic_spot", spots)
        run.bespoke("tourism_monthly", stats.tourism_monthly(rng, spots, batch_date, months))
    if "hotel" in want:
        run.bespoke("hotel", places.hotels(rng, entities.pool))
    if "investment_project" in want:
        count = max(20, n_entities // 15)
        projects = places.investment_projects(rng, count, entities.pool, batch_date, pools)
        run.bespoke("investment_project", projects)
    if "economic_indicator" in want:
        names = run.register.vocab.get("indicator", {})
        run.bespoke("economic_indicator", stats.economic_indicators(rng, names, batch_date, months))
