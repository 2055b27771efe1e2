"""Every SQL block of docs/analyst.md runs against a freshly built warehouse and returns rows."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from accepted_batches import generate

from govlake.register import load_register

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "analyst.md"
BLOCKS = re.findall(r"```sql\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    from govlake.settings import get_settings
    from govlake.transform import build

    root = tmp_path_factory.mktemp("analyst") / "lake"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GOVLAKE_LAKE_ROOT", str(root))
        mp.setenv("GOVLAKE_HMAC_KEY", "test-key-not-secret")
        get_settings.cache_clear()
        generate(root, load_register(ROOT / "catalog"), scale="tiny",
                 batch_date=dt.date(2026, 11, 2), key=b"test-key-not-secret")  # fmt: skip
        result = build()
        assert result.success, result.message
        yield root
    get_settings.cache_clear()


def test_the_guide_has_at_least_eight_queries():
    assert len(BLOCKS) >= 8


@pytest.mark.parametrize("sql", BLOCKS, ids=[f"query{i + 1}" for i in range(len(BLOCKS))])
def test_query_runs_and_answers(warehouse, sql, monkeypatch):
    import json

    from govlake.settings import get_settings
    from govlake.transform import run_sql

    monkeypatch.setenv("GOVLAKE_LAKE_ROOT", str(warehouse))
    get_settings.cache_clear()
    rows = json.loads(run_sql(sql, fmt="json"))
    assert rows, "the query returned no rows on the sample"
    assert not any(k.endswith("_key") or k == "citizen_id" for k in rows[0])
