"""The key test: generated sample → ingest → gate; the quarantine is exactly the generator's
record of fatal defects (count and kind per row), and no cosmetic defect is quarantined."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from govlake.lake import Lake, read_accepted

pytestmark = pytest.mark.integration

sample = pytest.importorskip("govlake.sample")
if not hasattr(sample, "generate"):
    pytest.skip("govlake.sample.generate not available yet", allow_module_level=True)

# The expectation a fatal defect kind must be reported by (on the defect's field).
EXPECTED_RULE = {
    "blank_mandatory": "expect_column_values_to_not_be_null({field})",
    "unknown_street_code": "expect_column_values_to_be_district_street_code({field})",
}
DAY = dt.date(2024, 6, 3)


def rule_for(defect: dict, register) -> str:
    kind, field = defect["kind"], defect["field"]
    res = register.resource(defect["resource"])
    if kind == "duplicate_row":
        keys = [f.name for f in res.key_fields]
        if len(keys) == 1:
            return f"expect_column_values_to_be_first_occurrence({keys[0]})"
        return f"expect_key_to_be_first_occurrence({','.join(keys)})"
    if kind == "bad_check_char":
        fmt = res.field_map[field].format.value
        return f"expect_column_values_to_be_valid_{fmt}({field})"
    return EXPECTED_RULE[kind].format(field=field)


@pytest.mark.parametrize(("seed", "rate"), [(42, 0.02), (7, 0.15)])
def test_quarantine_matches_the_generators_record(
    lake_root: Path, register, seed: int, rate: float
) -> None:
    from govlake.ingest import ingest_resource, read_manifest
    from govlake.quality import validate_batch

    lake = Lake(lake_root)
    result = sample.generate(lake_root, scale="tiny", seed=seed, defect_rate=rate,
                             batch_date=DAY, register=register)  # fmt: skip
    defects = pq.read_table(result.defects_path).to_pylist()
    kinds_seen = Counter(d["kind"] for d in defects)
    assert {"bad_check_char", "duplicate_row", "blank_mandatory", "unknown_street_code"} <= set(
        kinds_seen
    )
    assert {"fullwidth_digits", "stray_spaces", "mixed_date_format"} <= set(kinds_seen)

    held = 0
    for rid in sorted(register.resources):
        report = ingest_resource(rid, lake=lake, register=register)
        assert report.ok, report.rejection_message()
        for file in report.ingested:
            gate = validate_batch(rid, file.batch_id, lake=lake, register=register)
            held += gate.held
            quarantine = (
                pq.read_table(gate.quarantine_path).to_pylist() if gate.quarantine_path else []
            )
            got = {(q["_source_file"], q["_source_row"]): q["_expectation"] for q in quarantine}
            mine = [d for d in defects if d["resource"] == rid]
            fatal = {(d["source_file"], d["source_row"]): rule_for(d, register)
                     for d in mine if d["fatal"]}  # fmt: skip
            cosmetic = {(d["source_file"], d["source_row"]) for d in mine if not d["fatal"]}
            assert got == fatal, rid  # same rows, and each for the one rule its defect breaks
            assert not cosmetic & set(got), rid
            assert gate.quarantined == len(fatal)
            assert gate.delivered == file.rows
            if not gate.held:
                accepted = read_accepted(lake, rid, file.batch_id)
                assert accepted.num_rows + len(quarantine) == file.rows, rid
            status = {e["batch_id"]: e["status"] for e in read_manifest(rid, lake=lake)}
            assert status[file.batch_id] == ("held" if gate.held else "accepted")
    if rate > 0.1:
        assert held > 0  # the threshold path is exercised too
