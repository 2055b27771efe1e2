"""Quality Data Docs work offline: vendored assets, no http(s) URL loaded, and in real headless
Chromium with every external request blocked the index lists the validation results and a
validation page shows its expectations (screenshots in ``test-artifacts/``)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from govlake.lake import Lake
from govlake.quality.offline_docs import (
    ASSETS_DIR,
    CDN_ASSETS,
    VENDOR_DIR,
    OfflineDocsError,
    localise_data_docs,
)

pytestmark = pytest.mark.integration

DAY = dt.date(2026, 11, 2)
GATED = ("registered_person", "disability_benefit")  # a person register and a benefit list


@pytest.fixture(scope="module")
def lake(tmp_path_factory, register) -> Lake:
    """A tiny sample lake: two resources ingested and gated, Data Docs built."""
    from govlake.ingest import ingest_resource
    from govlake.quality import build_data_docs, validate_batch
    from govlake.sample import generate
    from govlake.settings import get_settings

    root = tmp_path_factory.mktemp("docs") / "lake"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("GOVLAKE_LAKE_ROOT", str(root))
        env.setenv("GOVLAKE_HMAC_KEY", "test-key-not-secret")
        get_settings.cache_clear()
        lake = Lake(root)
        generate(root, scale="tiny", seed=7, batch_date=DAY, register=register)
        for rid in GATED:
            for result in ingest_resource(rid, lake=lake, register=register).results:
                validate_batch(rid, result.batch_id, lake=lake, register=register)
        build_data_docs(lake, register)
    get_settings.cache_clear()
    return lake


def stored_results(lake: Lake, rid: str) -> list[dict]:
    """The GX validation results the lake keeps for ``rid`` (what the docs are built from)."""
    paths = sorted((lake.quality_results(rid) / "_gx").glob("*.json"))
    return [json.loads(p.read_text(encoding="utf-8"))["result"] for p in paths]


CSS_URL = re.compile(r"url\(['\"]?([^'\")]+)")


class _Loads(HTMLParser):
    """Every URL a page makes the browser load: scripts, stylesheets, icons, images, CSS url()."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str]] = []
        self._style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script" and a.get("src"):
            self.urls.append(("script", a["src"]))
        elif tag == "link" and a.get("href"):
            self.urls.append((a.get("rel") or "link", a["href"]))
        elif tag in {"img", "source", "iframe"} and a.get("src"):
            self.urls.append((tag, a["src"]))
        self.urls += [("css", u) for u in CSS_URL.findall(a.get("style") or "")]
        self._style = tag == "style"

    def handle_data(self, data: str) -> None:
        if self._style:
            self.urls += [("css", u) for u in CSS_URL.findall(data)]

    def handle_endtag(self, tag: str) -> None:
        self._style = False


def test_no_built_page_loads_anything_over_the_network(lake: Lake) -> None:
    site = lake.root / "quality_docs"
    pages = sorted(site.rglob("*.html"))
    assert len(pages) >= 1 + len(GATED)  # index, one page per validation result, suites
    for page in pages:
        parser = _Loads()
        parser.feed(page.read_text(encoding="utf-8"))
        remote = [u for u in parser.urls if re.match(r"(?i)(https?:)?//", u[1])]
        assert remote == [], page
        scripts = [u for kind, u in parser.urls if kind in {"script", "stylesheet"}]
        assert len(scripts) >= len(CDN_ASSETS) // 2, page  # the assets are there, not dropped
        for url in scripts:  # and every one is a file of the site
            assert (page.parent / url).resolve().is_file(), (page, url)
    assert (site / VENDOR_DIR / "LICENSES" / "jquery.txt").is_file()  # licences go along


def test_vendored_files_are_the_bytes_gx_pins() -> None:
    """GX pins popper.js and bootstrap.js by SRI hash: the vendored copies have those hashes."""
    import great_expectations

    template = Path(great_expectations.__file__).parent / "render/view/templates"
    text = (template / "js_script_imports.j2").read_text(encoding="utf-8")
    pinned = re.findall(r'src="([^"]+)" integrity="sha384-([^"]+)"', text)
    assert len(pinned) == 2
    for url, digest in pinned:
        data = (ASSETS_DIR / CDN_ASSETS[url]).read_bytes()
        assert base64.b64encode(hashlib.sha384(data).digest()).decode() == digest, url


def test_vendored_folder_holds_only_what_pages_load() -> None:
    """Every mapped file exists, every other file is a font a vendored stylesheet loads, and
    every package@version folder is named (with its licence) in the folder's README."""
    files = {
        p.relative_to(ASSETS_DIR).as_posix()
        for p in ASSETS_DIR.rglob("*")
        if p.is_file() and p.name != "README.md" and "LICENSES" not in p.parts
    }
    mapped = set(CDN_ASSETS.values())
    assert mapped <= files
    fonts = set()
    for css in (f for f in mapped if f.endswith(".css")):
        for url in CSS_URL.findall((ASSETS_DIR / css).read_text()):
            target = (ASSETS_DIR / css).parent / url
            if not url.startswith("data:") and target.resolve().is_file():
                fonts.add(target.resolve().relative_to(ASSETS_DIR.resolve()).as_posix())
    assert files == mapped | fonts
    assert fonts == {"@fortawesome/fontawesome-free@6.6.0/webfonts/fa-solid-900.woff2"}
    readme = (ASSETS_DIR / "README.md").read_text(encoding="utf-8")
    for name in {"/".join(f.split("/")[: 2 if f.startswith("@") else 1]) for f in files}:
        package, version = name.rsplit("@", 1)
        assert f"| {package} | {version} |" in readme, name


def test_unvendored_remote_asset_is_a_clear_error(tmp_path: Path) -> None:
    page = tmp_path / "site" / "validations" / "x" / "page.html"
    page.parent.mkdir(parents=True)
    jquery = "https://code.jquery.com/jquery-3.7.1.min.js"
    page.write_text(
        f'<script src="{jquery}" integrity="sha384-x" crossorigin="anonymous"></script>'
        '<a href="https://greatexpectations.io">GX</a>'
    )
    localise_data_docs(tmp_path / "site")
    assert page.read_text() == (
        '<script src="../../static/vendor/jquery@3.7.1/dist/jquery.min.js"></script>'
        '<a href="https://greatexpectations.io">GX</a>'  # a link to follow, not a load
    )

    page.write_text('<link rel="stylesheet" href="https://example.org/new.css">')
    with pytest.raises(OfflineDocsError, match=r"page\.html: loads https://example\.org/new\.css"):
        localise_data_docs(tmp_path / "site")


# --- in Chromium, offline --------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["http", "file"])
def test_index_lists_validation_results_offline(
    lake: Lake, scheme: str, serve, page, page_log, screenshot
) -> None:
    site = lake.root / "quality_docs"
    base = serve(site) if scheme == "http" else site.as_uri() + "/"
    page.goto(base + "index.html")

    rows = page.locator("table.ge-index-page-validation-results-table tbody tr")
    rows.first.wait_for()
    screenshot(f"index-{scheme}")
    assert rows.count() == sum(len(stored_results(lake, rid)) for rid in GATED)
    for rid in GATED:
        assert rows.filter(has_text=rid).count() == len(stored_results(lake, rid))
    assert page.get_by_role("button", name="Clear Filters").first.is_visible()
    assert page.evaluate("document.fonts.check('900 16px \"Font Awesome 6 Free\"')")
    assert (page_log.blocked, page_log.failed, page_log.errors) == ([], [], [])


@pytest.mark.browser
def test_validation_page_shows_its_expectations_offline(
    lake: Lake, serve, page, page_log, screenshot
) -> None:
    (result,) = stored_results(lake, "registered_person")
    expected = result["statistics"]
    base = serve(lake.root / "quality_docs")
    page.goto(base + "index.html")
    rows = page.locator("table.ge-index-page-validation-results-table tbody tr")
    rows.filter(has_text="registered_person").click()  # a row opens its validation page
    page.wait_for_url("**/validations/registered_person/**")

    heading = page.get_by_text("Expectation Validation Result").first
    assert heading.is_visible()
    stats = page.get_by_role("row").filter(has_text="Evaluated Expectations")
    assert stats.inner_text().split()[-1] == str(expected["evaluated_expectations"])
    status = page.locator("i.fa-check-circle, i.fa-times")
    expectations = page.locator("tr").filter(has=status)
    assert expectations.count() == expected["evaluated_expectations"] == len(result["results"])
    ethnicity = expectations.filter(has_text="expect_column_values_to_be_allowed").filter(
        has_text="'column': 'ethnicity'"
    )
    assert "汉族" in ethnicity.inner_text()  # the register's vocabulary, in Chinese
    screenshot("validation")

    page.get_by_text("Failed Only").click()  # jQuery hides the expectations that passed
    page.locator("tr").filter(has=page.locator("i.fa-check-circle")).last.wait_for(state="hidden")
    failed = expectations.filter(visible=True)
    assert failed.count() == expected["unsuccessful_expectations"] > 0
    assert failed.filter(has=page.locator("i.fa-check-circle")).count() == 0
    screenshot("validation-failed-only")
    assert (page_log.blocked, page_log.failed, page_log.errors) == ([], [], [])
