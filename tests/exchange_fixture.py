"""The exchange tests' lake: every resource's tiny batch in the accepted zone, built once per
module by dbt, with an empty exchange for each test (tests/test_exchange*.py import these)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from accepted_batches import generate as fixture

from govlake.exchange import load_rules
from govlake.lake import Lake

ROOT = Path(__file__).resolve().parents[1]
DAY = dt.date(2026, 11, 2)
KEY = "test-key-not-secret"
STREETS = ["110107001", "110107002"]


@pytest.fixture(scope="module")
def built(tmp_path_factory, register) -> Lake:
    """Every resource's tiny batch in the accepted zone, built by dbt (no exchange yet)."""
    from govlake.settings import get_settings
    from govlake.transform import build

    root = tmp_path_factory.mktemp("exchange") / "lake"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("GOVLAKE_LAKE_ROOT", str(root))
        env.setenv("GOVLAKE_HMAC_KEY", KEY)
        get_settings.cache_clear()
        fixture(root, register, scale="tiny", batch_date=DAY, key=KEY.encode())
        result = build()
        assert result.success, result.message
    get_settings.cache_clear()
    return Lake(root)


@pytest.fixture
def lake(built: Lake, monkeypatch: pytest.MonkeyPatch) -> Lake:
    """The built lake with an empty exchange (log and outboxes) for each test."""
    from govlake.settings import get_settings

    shutil.rmtree(built.root / "exchange", ignore_errors=True)
    monkeypatch.setenv("GOVLAKE_LAKE_ROOT", str(built.root))
    monkeypatch.setenv("GOVLAKE_HMAC_KEY", KEY)
    get_settings.cache_clear()
    yield built
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def rules(register):
    return load_rules(register, ROOT / "catalog")
