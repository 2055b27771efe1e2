"""Shared fixtures: every test gets its own lake; Airflow runs in-process on SQLite."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Airflow reads its configuration at import time: set it before any test imports airflow.
_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="govlake-airflow-"))
os.environ.setdefault("AIRFLOW_HOME", str(_AIRFLOW_HOME))
os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(ROOT / "dags"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "True")
os.environ.setdefault(
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", f"sqlite:///{_AIRFLOW_HOME}/airflow.db"
)
os.environ.setdefault("GE_USAGE_STATISTICS_URL", "")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")


@pytest.fixture
def lake_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty lake for one test, with a fixed pseudonym key."""
    from govlake.settings import get_settings

    root = tmp_path / "lake"
    monkeypatch.setenv("GOVLAKE_LAKE_ROOT", str(root))
    monkeypatch.setenv("GOVLAKE_HMAC_KEY", "test-key-not-secret")
    get_settings.cache_clear()
    yield root
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def register():
    from govlake.register import load_register

    return load_register(ROOT / "catalog")
