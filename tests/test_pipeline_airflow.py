"""End to end through real Airflow (``dag.test()``, SQLite, in-process): a tiny sample goes
landing → raw → quality gate → accepted, every file and row accounted for."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from govlake.lake import Lake, read_accepted

pytestmark = pytest.mark.integration

DAY = dt.date(2026, 11, 2)


@pytest.fixture(scope="module")
def airflow(tmp_path_factory):
    from govlake import airflow_local

    airflow_local.migrate()
    return airflow_local.dagbag()


@pytest.fixture
def tiny(lake_root: Path):
    from govlake.sample import generate

    return generate(lake_root, scale="tiny", seed=7, defect_rate=0.02, batch_date=DAY)


def _count(zone: Path) -> int:
    """Rows in all Parquet parts of a zone folder (0 when it has none)."""
    if not list(zone.glob("*/*.parquet")):
        return 0
    return duckdb.sql(f"select count(*) from read_parquet('{zone}/*/*.parquet')").fetchone()[0]


def test_tiny_sample_through_airflow(airflow, tiny, lake_root: Path, register) -> None:
    from govlake import airflow_local
    from govlake.ingest import read_manifest

    outcomes = {
        rid: airflow_local.run_dag(airflow.dags[f"ingest__{rid}"]) for rid in register.resources
    }
    assert {rid: o.state for rid, o in outcomes.items()} == {
        r: "success" for r in register.resources
    }

    defects = duckdb.sql(
        f"select resource, count(*) filter (where fatal) as fatal from "
        f"read_parquet('{lake_root}/_sample/{DAY}/defects.parquet') group by all"
    ).fetchall()
    fatal = dict(defects)
    for rid in register.resources:
        [entry] = read_manifest(rid)
        delivered = tiny.rows[rid]
        assert entry["status"] == "accepted", entry
        assert entry["rows"] == delivered
        raw = _count(lake_root / "raw" / rid)
        accepted_rows = read_accepted(Lake(lake_root), rid)  # parts minus deletion vectors
        accepted = accepted_rows.num_rows if accepted_rows is not None else 0
        quarantined = _count(lake_root / "quarantine" / rid)
        assert raw == delivered
        assert accepted + quarantined == delivered  # nothing lost, nothing duplicated
        assert quarantined == fatal.get(rid, 0)

    # A second run finds nothing new: no rows added anywhere, the runs still succeed.
    again = airflow_local.run_dag(airflow.dags["ingest__registered_person"])
    assert again.ok
    assert _count(lake_root / "raw" / "registered_person") == tiny.rows["registered_person"]


def test_unreadable_file_fails_its_dag_only(airflow, tiny, lake_root: Path) -> None:
    from govlake import airflow_local
    from govlake.ingest import read_manifest

    day_dir = lake_root / "landing" / "tourism" / "hotel" / "2026-11-03"
    day_dir.mkdir(parents=True)
    (day_dir / "hotel.xlsx").write_bytes(b"this is not a workbook")
    (day_dir / "_SUCCESS").touch()  # tourism's exchange server marks its date folders complete
    good = lake_root / "landing" / "tourism" / "scenic_spot" / "2026-11-03"
    shutil.copytree(lake_root / "landing" / "tourism" / "scenic_spot" / str(DAY), good)

    bad_run = airflow_local.run_dag(airflow.dags["ingest__hotel"])
    assert bad_run.state == "failed"
    assert "verdict" in bad_run.failed_tasks
    statuses = {e["path"]: e for e in read_manifest("hotel")}
    bad = statuses["tourism/hotel/2026-11-03/hotel.xlsx"]
    assert bad["status"] == "rejected"
    assert "workbook" in bad["reason"]
    # the good file delivered the same day by the same department was still ingested
    assert statuses[f"tourism/hotel/{DAY}/hotel.xlsx"]["status"] == "accepted"

    other = airflow_local.run_dag(airflow.dags["ingest__scenic_spot"])
    assert other.ok
    entries = {e["path"]: e["status"] for e in read_manifest("scenic_spot")}
    # same content delivered again under another date: recorded, no rows added
    assert entries["tourism/scenic_spot/2026-11-03/scenic_spot.csv"] == "duplicate"
    assert json.loads(json.dumps(entries))  # manifest entries are plain JSON
