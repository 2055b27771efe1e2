"""The daily delta generator (``govlake.sample.delta``): a day's deliveries after a sample, as
each resource's delivery kind says, and the base databases following them incrementally."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import duckdb
import pyarrow.csv as pv
import pytest
from accepted_batches import KEY_TEXT, AcceptedWriter, generate, pseudonym

from govlake.identifiers import citizen_id_problem, normalise
from govlake.register import load_register
from govlake.sample import generate as sample
from govlake.sample.delta import generate_delta

ROOT = Path(__file__).resolve().parents[1]
DAY1, DAY2 = dt.date(2026, 11, 2), dt.date(2026, 11, 3)


def _police(lake: Path, day: dt.date) -> list[dict]:
    path = lake / "landing" / "police" / "registered_person" / str(day) / "registered_person.csv"
    options = pv.ReadOptions(encoding="gb18030")
    convert = pv.ConvertOptions(column_types={"公民身份号码": "string"})
    return pv.read_csv(path, read_options=options, convert_options=convert).to_pylist()


@pytest.mark.integration
def test_a_daily_delta_follows_the_delivery_kinds(tmp_path):
    """Police and hrss deliver deltas (操作类型), market regulation strikes entities off; the
    changed persons are persons of the sample; same seed and day, same files."""
    register = load_register(ROOT / "catalog")
    lakes = []
    for name in ("a", "b"):
        lake = tmp_path / name
        sample(lake, scale="tiny", seed=5, batch_date=DAY1, register=register)
        result = generate_delta(lake, day=DAY2, seed=5, register=register, struck_off_rate=0.05)
        lakes.append((lake, result))
    (lake, result), (other, _) = lakes
    digest = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in result.files}
    again = {p.name: hashlib.sha256((other / p.relative_to(lake)).read_bytes()).hexdigest()
             for p in result.files}  # fmt: skip
    assert digest == again and len(digest) == 3

    base = {normalise(r["公民身份号码"]) for r in _police(lake, DAY1)}
    rows = _police(lake, DAY2)
    ops = {normalise(r["公民身份号码"]): r["操作类型"] for r in rows}
    assert set(result.left) == {k for k, v in ops.items() if v == "注销"} and result.left
    assert set(result.changed) == {k for k, v in ops.items() if v == "变更"}
    assert set(result.born) == {k for k, v in ops.items() if v == "新增"}
    assert set(result.left) | set(result.changed) <= base  # persons of the sample
    assert not set(result.born) & base
    assert all(citizen_id_problem(k) is None for k in ops)
    n = len(base)
    assert 0.004 * n < len(result.changed) + len(result.left) < 0.02 * n  # ~1%
    assert result.rows["social_insurance_enrolment"] >= len(result.left)
    assert result.struck_off and result.rows["enterprise_registration"] == len(result.struck_off)
    assert (lake / "_sample" / str(DAY2) / "delta.json").is_file()


@pytest.mark.integration
def test_the_base_databases_follow_a_daily_delta(tmp_path, monkeypatch):
    """After an incremental build of the day's delta: persons who left are gone from
    base_person (and in the history with the day as end date), births are in it, struck-off
    entities left base_legal_entity."""
    from govlake.settings import get_settings
    from govlake.transform import build

    root = tmp_path / "lake"
    monkeypatch.setenv("GOVLAKE_LAKE_ROOT", str(root))
    monkeypatch.setenv("GOVLAKE_HMAC_KEY", KEY_TEXT)
    get_settings.cache_clear()
    register = load_register(ROOT / "catalog")
    generate(root, register, scale="tiny", batch_date=DAY1, key=KEY_TEXT.encode())
    assert build().success
    rates = {"change_rate": 0.05, "leave_share": 0.3, "struck_off_rate": 0.05}
    result = generate_delta(root, day=DAY2, seed=1, register=register, writer=AcceptedWriter,
                            **rates)  # fmt: skip
    second = build()
    assert second.success and not second.full_refresh, second.message
    key = KEY_TEXT.encode()
    con = duckdb.connect(str(root / "warehouse.duckdb"), read_only=True)
    persons = {k for (k,) in con.execute("select person_key from base.base_person").fetchall()}
    entities = {c for (c,) in con.execute("select credit_code from base.base_legal_entity")
                .fetchall()}  # fmt: skip
    con.close()
    left = {pseudonym(c, key) for c in result.left}
    assert left and not left & persons
    assert {pseudonym(c, key) for c in result.born} <= persons
    assert {pseudonym(c, key) for c in result.changed} <= persons
    assert len(result.left) > 5 and len(result.struck_off) > 3
    assert not set(result.struck_off) & entities
    con = duckdb.connect(str(root / "_build" / "restricted.duckdb"), read_only=True)
    ended = dict(con.execute(
        "select citizen_id_key, valid_to from intermediate.int_police__registered_persons_history"
        " where valid_to is not null").fetchall())  # fmt: skip
    con.close()
    assert ended == dict.fromkeys(left, DAY2)
    get_settings.cache_clear()
