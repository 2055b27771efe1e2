"""Shared fixtures: every test gets its own lake; Airflow runs in-process on SQLite."""

from __future__ import annotations

import os
import shutil
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


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The session's Airflow home goes with a passing session (one per run piled up in the temp
    folder); a failing one keeps it, with the task logs."""
    if exitstatus == 0:
        shutil.rmtree(_AIRFLOW_HOME, ignore_errors=True)


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


# --- the local CKAN portal (see tests/portal_fixture.py) ----------------------------------------


@pytest.fixture(scope="session")
def ckan_portal():
    """A running local CKAN portal for the whole session (``PortalInfo``: url, api_token, ...)."""
    from portal_fixture import session_portal

    with session_portal() as info:
        yield info


# --- browser tests (see tests/browser.py) -----------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium for the whole session; fails (never skips) if it is missing."""
    import browser as helper

    problem = helper.missing()
    if problem:
        pytest.fail(problem, pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = helper.launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def page_log():
    """Blocked external requests, failed local requests and JS errors of ``page``."""
    from browser import PageLog

    return PageLog()


_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Keep each phase's report on the test, so ``page`` knows whether the test failed."""
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


@pytest.fixture
def page(browser, page_log, request):
    """A fresh page that cannot reach anything but localhost; if the test fails, what the
    page showed is saved as ``test-artifacts/<test>/failure.png``."""
    from browser import artefact_dir, offline_page

    page = offline_page(browser, page_log)
    yield page
    call = request.node.stash.get(_REPORTS, {}).get("call")
    if call is not None and call.failed:
        folder = artefact_dir(request.node.name)
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / "failure.png"), full_page=True)
    page.context.close()


@pytest.fixture
def screenshot(page, request):
    """``screenshot(name)`` → ``test-artifacts/<test>/<name>.png`` of the whole page."""
    from browser import artefact_dir

    folder = artefact_dir(request.node.name)

    def take(name: str) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def serve():
    """``serve(folder)`` → base URL of ``folder`` served on 127.0.0.1 until the test ends."""
    from contextlib import ExitStack

    from browser import serve_folder

    with ExitStack() as stack:
        yield lambda folder: stack.enter_context(serve_folder(Path(folder)))
