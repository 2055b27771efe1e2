"""The catalogue site for departments: one page per catalogue entry and per department (counted
from the catalogue tables), nothing loaded over the network, the preview rule, Data Docs links
that resolve, an atomic build, a server that exposes nothing but the site and the Data Docs —
and, in headless Chromium with every external request blocked, search and filters, a resource
page's 信息项 table and lineage graph, and the preview as a reader sees them (screenshots in
``test-artifacts/``)."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import threading
import unicodedata
import urllib.error
import urllib.request
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest
from accepted_batches import generate as fixture

from govlake.catalogue.site import PREVIEW_ROWS, SiteError, build_site, make_server
from govlake.catalogue.site.lineage import Node, lineage_svg, neighbourhood
from govlake.lake import Lake

pytestmark = pytest.mark.integration

DAY = dt.date(2026, 11, 2)
KEY = "test-key-not-secret"
# Delivered by the real generator, ingested and gated (so they have quality results and Data
# Docs); a closed group, so the other resources can come from the accepted-zone fixture.
GATED = ("hotel", "scenic_spot", "tourism_monthly")


@pytest.fixture(scope="module")
def lake(tmp_path_factory, register) -> Lake:
    """A tiny lake built by dbt: three tourism resources through ingest and the quality gate
    (with Data Docs), every other resource from the accepted-zone fixture; then the site."""
    from govlake.ingest import ingest_resource
    from govlake.quality import build_data_docs, validate_batch
    from govlake.sample import generate
    from govlake.settings import get_settings
    from govlake.transform import build

    root = tmp_path_factory.mktemp("site") / "lake"
    lake = Lake(root)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("GOVLAKE_LAKE_ROOT", str(root))
        env.setenv("GOVLAKE_HMAC_KEY", KEY)
        get_settings.cache_clear()
        others = set(register.resources) - set(GATED)
        fixture(root, register, scale="tiny", batch_date=DAY, key=KEY.encode(), only=others)
        generate(root, scale="tiny", seed=7, batch_date=DAY, register=register)
        for rid in GATED:  # only these are ingested: the rest of the landing zone stays unread
            for result in ingest_resource(rid, lake=lake, register=register).results:
                validate_batch(rid, result.batch_id, lake=lake, register=register)
        build_data_docs(lake, register)
        result = build()
        assert result.success, result.message
        build_site()
    get_settings.cache_clear()
    return lake


def site(lake: Lake) -> Path:
    return lake.root / "catalogue" / "site"


def _tables(lake: Lake) -> dict[str, list[dict]]:
    con = duckdb.connect(str(lake.root / "warehouse.duckdb"), read_only=True)
    try:
        out = {}
        for name in ("resource", "status", "item", "lineage"):
            cur = con.execute(f"select * from catalogue.catalogue_{name}")
            cols = [d[0] for d in cur.description]
            out[name] = [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]
        return out
    finally:
        con.close()


@pytest.fixture(scope="module")
def tables(lake: Lake) -> dict[str, list[dict]]:
    return _tables(lake)


def slug(code: str) -> str:
    return code.replace("/", "-")


# --- a small DOM for the static checks --------------------------------------------------------

VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "wbr",
    "path",
    "rect",
    "stop",
}


class El:
    def __init__(self, tag: str, attrs: dict[str, str], parent: El | None) -> None:
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[El] = []
        self.text_parts: list[str] = []

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def iter(self):
        yield self
        for c in self.children:
            yield from c.iter()

    def find_all(self, tag: str | None = None, cls: str | None = None, id: str | None = None):
        return [
            e
            for e in self.iter()
            if (tag is None or e.tag == tag)
            and (cls is None or cls in e.classes)
            and (id is None or e.attrs.get("id") == id)
        ]

    def find(self, *args, **kwargs) -> El | None:
        found = self.find_all(*args, **kwargs)
        return found[0] if found else None

    @property
    def text(self) -> str:
        return "".join(self.text_parts) + "".join(c.text for c in self.children)


class _Tree(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.root = self.node = El("#root", {}, None)

    def handle_starttag(self, tag, attrs) -> None:
        el = El(tag, {k: v or "" for k, v in attrs}, self.node)
        self.node.children.append(el)
        if tag not in VOID:
            self.node = el

    def handle_startendtag(self, tag, attrs) -> None:
        self.node.children.append(El(tag, {k: v or "" for k, v in attrs}, self.node))

    def handle_endtag(self, tag) -> None:
        node = self.node
        while node.parent is not None and node.tag != tag:
            node = node.parent
        if node.parent is not None:
            self.node = node.parent

    def handle_data(self, data) -> None:
        self.node.text_parts.append(data)


def dom(path: Path) -> El:
    tree = _Tree()
    tree.feed(path.read_text(encoding="utf-8"))
    return tree.root


# --- static checks ------------------------------------------------------------------------------


def test_one_page_per_entry_and_per_department(lake: Lake, tables) -> None:
    codes = {r["resource_code"] for r in tables["resource"]}
    departments = {r["provider_id"] for r in tables["resource"]}
    assert len(codes) == len(tables["resource"])
    pages = {p.name for p in (site(lake) / "resource").iterdir()}
    assert pages == {f"{slug(c)}.html" for c in codes}
    assert {p.name for p in (site(lake) / "department").iterdir()} == {
        f"{d}.html" for d in departments
    }
    listed = [
        tr.attrs["data-code"]
        for tr in dom(site(lake) / "resources.html").find_all("tr")
        if "data-code" in tr.attrs
    ]
    assert sorted(listed) == sorted(codes)  # the list shows every entry once
    for dept in departments:  # a department page lists exactly what it provides
        shown = {
            tr.attrs["data-code"]
            for tr in dom(site(lake) / "department" / f"{dept}.html").find_all("tr")
            if "data-code" in tr.attrs
        }
        assert shown == {r["resource_code"] for r in tables["resource"] if r["provider_id"] == dept}
    info = json.loads((site(lake) / "site.json").read_text(encoding="utf-8"))
    assert (info["resources"], info["departments"]) == (len(codes), len(departments))


def test_home_page_counts_and_late_resources(lake: Lake, tables) -> None:
    home = dom(site(lake) / "index.html")
    shown: dict[str, dict[str, int]] = {}
    for tr in home.find_all("tr"):
        if "data-facet" in tr.attrs:
            count = next(td for td in tr.find_all("td") if "num" in td.classes).text
            shown.setdefault(tr.attrs["data-facet"], {})[tr.attrs["data-value"]] = int(count)
    rs = tables["resource"]
    expected = {
        "department": Counter(r["provider_id"] for r in rs),
        "category": Counter(r["category"] for r in rs),
        "theme": Counter(r["theme"] or "-" for r in rs),
        "base": Counter(r["base_database"] for r in rs if r["base_database"]),
        "share": Counter(r["share_type"] for r in rs),
        "open": Counter(r["open_type"] for r in rs),
        "freshness": Counter(s["freshness"] for s in tables["status"]),
    }
    assert shown == {facet: dict(c) for facet, c in expected.items()}
    late = {s["resource_code"]: s for s in tables["status"] if s["freshness"] != "on_time"}
    assert late, "the fixture lake has resources never delivered"
    assert len(late) < len(tables["status"]), "and resources on time"
    section = home.find(id="late")
    rows = [tr for tr in section.find_all("tr") if "data-code" in tr.attrs]
    assert {tr.attrs["data-code"] for tr in rows} == set(late)
    for tr in rows:
        since = tr.find(cls="late-since").text.strip()
        assert since == late[tr.attrs["data-code"]]["late_since_date"].isoformat()


LOADS = re.compile(r"""url\(\s*['"]?([^'")\s]+)|@import\s+['"]([^'"]+)""")


def test_no_page_loads_anything_over_the_network(lake: Lake) -> None:
    """Scripts, stylesheets, icons, images and fonts are files of the site; every one exists."""
    files = sorted(site(lake).rglob("*"))
    pages = [p for p in files if p.suffix == ".html"]
    assert len(pages) > 2
    loaded = 0
    for page in pages:
        root = dom(page)
        urls = [e.attrs["src"] for e in root.find_all("script") if e.attrs.get("src")]
        urls += [e.attrs["href"] for e in root.find_all("link") if e.attrs.get("href")]
        urls += [e.attrs["src"] for e in root.iter() if e.tag in {"img", "source", "iframe"}]
        for style in root.find_all("style"):
            urls += [a or b for a, b in LOADS.findall(style.text)]
        for e in root.iter():
            urls += [a or b for a, b in LOADS.findall(e.attrs.get("style", ""))]
        for url in urls:
            assert not re.match(r"(?i)([a-z]+:)?//", url), (page, url)
            assert (page.parent / url.split("?")[0].split("#")[0]).resolve().is_file(), (page, url)
            loaded += 1
    for css in (p for p in files if p.suffix == ".css"):
        for a, b in LOADS.findall(css.read_text(encoding="utf-8")):
            assert not re.match(r"(?i)([a-z]+:)?//", a or b), (css, a or b)
    for js in (p for p in files if p.suffix == ".js"):
        assert not re.search(r"(?i)https?://|fetch\(|XMLHttpRequest|import\(", js.read_text()), js
    assert loaded >= 3 * len(pages)  # stylesheet and icon on every page, the emblem, scripts


def _eligible(resource: dict) -> bool:
    """The preview rule, from the catalogue table: 无条件共享, not 涉密, no personal field."""
    return (
        resource["share_type"] == "无条件共享"
        and not resource["is_classified"]
        and not resource["has_personal_fields"]
        and resource["relation"] is not None
    )


def test_preview_only_for_unconditional_resources_without_personal_fields(lake, tables) -> None:
    rows = {s["resource_code"]: s["current_rows"] for s in tables["status"]}
    items = {}
    for i in tables["item"]:
        items.setdefault(i["resource_code"], []).append(i)
    eligible = [r for r in tables["resource"] if _eligible(r)]
    refused = [r for r in tables["resource"] if not _eligible(r)]
    assert any(rows[r["resource_code"]] > PREVIEW_ROWS for r in eligible), "the cap is exercised"
    assert any(r["share_type"] == "无条件共享" and r["has_personal_fields"] for r in refused)
    assert any(r["is_classified"] for r in refused)
    for r in eligible:
        section = dom(site(lake) / "resource" / f"{slug(r['resource_code'])}.html").find(
            id="preview"
        )
        body = section.find("tbody")
        assert body is not None, r["resource_code"]
        assert len(body.find_all("tr")) == min(PREVIEW_ROWS, rows[r["resource_code"]])
        headers = [th.text for th in section.find("thead").find_all("th")]
        public = [i["label"] or i["name"] for i in items[r["resource_code"]]]
        assert headers and set(headers) <= set(public)
    for r in refused:
        section = dom(site(lake) / "resource" / f"{slug(r['resource_code'])}.html").find(
            id="preview"
        )
        assert section.find("table") is None, r["resource_code"]
        why = " ".join(section.find(cls="no-preview").text.split())
        if r["is_classified"]:
            assert "涉密" in why
        if r["has_personal_fields"]:
            personal = [
                i["label"]
                for i in items[r["resource_code"]]
                if i["sensitivity"] in {"personal", "secret"}
            ]
            assert "个人信息" in why and all(label in why for label in personal)
        if r["share_type"] != "无条件共享":
            assert r["share_type"] in why


def test_data_docs_links_resolve_to_the_resources_validation_pages(lake, tables) -> None:
    status = {s["resource_code"]: s for s in tables["status"]}
    linked = 0
    for r in tables["resource"]:
        page = site(lake) / "resource" / f"{slug(r['resource_code'])}.html"
        link = dom(page).find("a", cls="docs-link")
        if r["layer"] == "department" and r["resource_id"] in GATED:
            assert link is not None, r["resource_code"]
            href = link.attrs["href"]
            assert not href.startswith(("/", "file:", "http"))  # relative
            target = (page.parent / href).resolve()
            assert target.is_file()
            folder = lake.root / "quality_docs" / "validations" / r["resource_id"]
            assert target.is_relative_to(folder.resolve())
            assert status[r["resource_code"]]["last_batch_id"] in target.parts
            linked += 1
        else:  # derived resources and the never-gated ones have no validation page
            assert link is None, r["resource_code"]
    assert linked == len(GATED)


def test_lineage_graph_links_every_upstream_and_downstream_entry(lake, tables) -> None:
    for r in tables["resource"]:
        page = site(lake) / "resource" / f"{slug(r['resource_code'])}.html"
        svg = dom(page).find("svg", cls="lineage")
        nodes = {g.attrs["data-code"]: g for g in svg.find_all("g", cls="lineage-node")}
        assert nodes[r["resource_code"]].parent.tag == "svg"  # this entry: not a link
        for code in [*r["upstream_codes"], *r["downstream_codes"]]:
            link = nodes[code].parent
            assert link.tag == "a" and link.attrs["href"] == f"{slug(code)}.html"
            assert (page.parent / link.attrs["href"]).is_file()
        edges = {
            (p.attrs["data-from"], p.attrs["data-to"])
            for p in svg.find_all("path")
            if "lineage-edge" in p.classes
        }
        assert {(u, r["resource_code"]) for u in r["upstream_codes"]} <= edges
        assert {(r["resource_code"], d) for d in r["downstream_codes"]} <= edges


def test_lineage_layout_reads_left_to_right() -> None:
    """Sources left of the entry, products right, each in the column of its longest path."""
    edges = [("a", "b"), ("b", "c"), ("a", "c"), ("x", "c"), ("c", "d"), ("d", "e"), ("e", "f")]
    columns, kept = neighbourhood("c", edges, depth=2)
    assert columns == {"c": 0, "b": -1, "x": -1, "a": -2, "d": 1, "e": 2}
    assert ("a", "c") in kept and ("e", "f") not in kept
    nodes = {n: Node(n, f"资源{n}", "department") for n in "abcdefx"}
    svg = lineage_svg("c", nodes, edges, href=lambda n: f"{n}.html")
    xs = {
        n: float(re.search(rf'data-code="{n}".*?<rect x="([\d.]+)"', svg).group(1)) for n in columns
    }
    assert xs["a"] < xs["b"] == xs["x"] < xs["c"] < xs["d"] < xs["e"]
    assert 'href="f.html"' not in svg and 'href="c.html"' not in svg


def test_build_is_atomic_and_refuses_a_lake_without_a_warehouse(lake, tmp_path, monkeypatch):
    from govlake.catalogue.site import build as site_build
    from govlake.settings import Settings

    settings = Settings(lake_root=lake.root)
    out = tmp_path / "out" / "site"
    first = build_site(settings, out_dir=out)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}

    def broken(*args, **kwargs):
        raise RuntimeError("rendering failed half way")

    # A render that dies half way cannot be produced with valid tables: simulated here.
    monkeypatch.setattr(site_build, "lineage_svg", broken)
    with pytest.raises(RuntimeError, match="half way"):
        build_site(settings, out_dir=out)
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert first == out and after == before  # the previous site, untouched
    assert sorted(p.name for p in out.parent.iterdir()) == ["site"]  # no leftovers

    with pytest.raises(SiteError, match=r"no warehouse at .*govlake build"):
        build_site(Settings(lake_root=tmp_path / "empty"))


def _get(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.url, response.read()
    except urllib.error.HTTPError as err:
        return err.code, url, b""


def test_server_of_a_site_without_data_docs(lake, tmp_path) -> None:
    copy = tmp_path / "site"
    shutil.copytree(site(lake), copy)
    info = json.loads((copy / "site.json").read_text(encoding="utf-8"))
    (copy / "site.json").write_text(json.dumps(info | {"quality_docs": None}), encoding="utf-8")
    server = make_server(copy, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = server.url.removesuffix("/index.html")
        status, url, _ = _get(base + "/")
        assert status == 200 and url == base + "/index.html"
        assert _get(base + "/resources.html")[0] == 200
        assert _get(base + "/site.json")[0] == 200
        assert _get(base + "/../quality_docs/index.html")[0] == 404
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    with pytest.raises(SiteError, match="no catalogue site"):
        make_server(tmp_path / "nothing", port=0)


def test_server_serves_the_site_and_data_docs_and_nothing_else(lake) -> None:
    server = make_server(site(lake), port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = server.url.rsplit("/catalogue/site/", 1)[0]
        status, url, body = _get(base + "/")
        assert status == 200 and url.endswith("/catalogue/site/index.html")
        assert "政务信息资源目录" in body.decode()
        page = next((site(lake) / "resource").iterdir())
        assert _get(f"{base}/catalogue/site/resource/{page.name}")[0] == 200
        assert _get(f"{base}/quality_docs/index.html")[0] == 200
        assert (lake.root / "warehouse.duckdb").is_file() and (lake.root / "accepted").is_dir()
        for other in (
            "warehouse.duckdb",
            "accepted/",
            "accepted/hotel/",
            "catalogue/",
            "catalogue/site/../../warehouse.duckdb",
            "quality_docs/../_build/",
        ):
            assert _get(f"{base}/{other}")[0] == 404, other
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# --- in a browser -------------------------------------------------------------------------------


def _search_text(resource: dict, items: list[dict]) -> str:
    """What the docs say the search box looks at: names, code, abstract, provider, 信息项."""
    parts = [
        resource["name"],
        resource["name_en"],
        resource["resource_code"],
        resource["abstract"],
        resource["provider"],
        *(i["label"] for i in items),
        *(i["name"] for i in items),
    ]
    return unicodedata.normalize("NFKC", " ".join(p for p in parts if p)).lower()


def _visible_codes(page) -> set[str]:
    rows = page.locator("#resource-table tbody tr")
    return {
        rows.nth(i).get_attribute("data-code")
        for i in range(rows.count())
        if rows.nth(i).is_visible()
    }


def _word_from_an_abstract(tables) -> tuple[str, dict, set[str]]:
    """A two- to four-character Chinese word of some entry's abstract that only a few entries
    contain: the word, that entry, and every entry whose searched text contains it."""
    items: dict[str, list[dict]] = {}
    for i in tables["item"]:
        items.setdefault(i["resource_code"], []).append(i)
    texts = {
        r["resource_code"]: _search_text(r, items.get(r["resource_code"], []))
        for r in tables["resource"]
    }
    department_first = sorted(
        tables["resource"], key=lambda r: (r["layer"] != "department", r["resource_code"])
    )
    for r in department_first:
        # the abstracts list their contents: the terms between 、，。 are words
        for word in re.split(r"[、，。；：（）()\s]|包括|和|及", r["abstract"]):
            found = {c for c, t in texts.items() if word in t}
            if re.fullmatch(r"[\u4e00-\u9fff]{2,6}", word) and 1 <= len(found) <= 3:
                return word, r, found
    raise AssertionError("no abstract has a distinctive word")


@pytest.mark.browser
def test_search_finds_a_chinese_word_of_an_abstract(lake, tables, page, page_log, screenshot):
    word, resource, expected = _word_from_an_abstract(tables)
    page.goto((site(lake) / "resources.html").as_uri())
    assert len(_visible_codes(page)) == len(tables["resource"])
    page.locator("#q").press_sequentially(word, delay=20)
    page.wait_for_function(
        "n => document.getElementById('result-count').textContent === String(n)",
        arg=len(expected),
    )
    assert resource["resource_code"] in expected
    assert _visible_codes(page) == expected
    row = page.locator(f'tr[data-code="{resource["resource_code"]}"]')
    assert row.is_visible() and resource["name"] in row.inner_text()
    assert f"q={word}" in page.evaluate("decodeURIComponent(location.search)")
    screenshot("search")
    page.locator("#clear").click()
    page.wait_for_function(
        "n => document.getElementById('result-count').textContent === String(n)",
        arg=len(tables["resource"]),
    )
    assert page_log.blocked == page_log.failed == page_log.errors == []


@pytest.mark.browser
def test_share_type_filter_narrows_the_list_to_that_type(lake, tables, page, page_log, screenshot):
    page.goto((site(lake) / "resources.html").as_uri())
    by_share: dict[str, set[str]] = {}
    for r in tables["resource"]:
        by_share.setdefault(r["share_type"], set()).add(r["resource_code"])
    assert len(by_share) == 3
    for share, codes in sorted(by_share.items()):
        page.select_option("#filter-share", share)
        assert _visible_codes(page) == codes, share
        assert page.locator("#result-count").inner_text() == str(len(codes))
        if share == "不予共享":
            screenshot("share-filter")
    fresh = {r["resource_code"] for r in tables["status"] if r["freshness"] == "on_time"}
    page.select_option("#filter-freshness", "on_time")  # filters combine
    assert _visible_codes(page) == fresh & by_share["不予共享"]
    # a filter in the URL (the home page's counts link so) is applied on load
    page.goto((site(lake) / "resources.html").as_uri() + "?share=有条件共享")
    assert page.locator("#filter-share").input_value() == "有条件共享"
    assert _visible_codes(page) == by_share["有条件共享"]
    assert page_log.blocked == page_log.failed == page_log.errors == []


@pytest.mark.browser
def test_resource_page_shows_items_and_lineage_graph(lake, tables, page, page_log, screenshot):
    both = [r for r in tables["resource"] if r["upstream_codes"] and r["downstream_codes"]]
    r = max(both, key=lambda r: (len(r["upstream_codes"]), r["resource_code"]))
    items = sorted(
        (i for i in tables["item"] if i["resource_code"] == r["resource_code"]),
        key=lambda i: i["position"],
    )
    page.goto((site(lake) / "resource" / f"{slug(r['resource_code'])}.html").as_uri())
    assert page.locator("h1").first.inner_text().startswith(r["name"])
    rows = page.locator("#items tbody tr")
    assert rows.count() == len(items) == r["item_count"]
    for n, item in enumerate(items):
        assert item["name"] in rows.nth(n).inner_text()
    fields = page.locator("#metadata").inner_text()
    for value in (r["resource_code"], r["provider"], r["share_type"], r["update_cycle"]):
        assert value in fields
    graph = page.locator("svg.lineage")
    assert graph.is_visible()
    for code in [r["resource_code"], *r["upstream_codes"], *r["downstream_codes"]]:
        assert graph.locator(f'g.lineage-node[data-code="{code}"]').is_visible(), code
    screenshot("resource")
    upstream = r["upstream_codes"][0]
    graph.locator(f'g.lineage-node[data-code="{upstream}"]').click()
    page.wait_for_url(f"**/{slug(upstream)}.html")
    assert page.locator(f'svg.lineage g.lineage-node.current[data-code="{upstream}"]').is_visible()
    assert page_log.blocked == page_log.failed == page_log.errors == []


@pytest.mark.browser
def test_preview_shows_for_an_eligible_resource_and_not_for_a_personal_one(
    lake, tables, page, page_log, screenshot
):
    rows = {s["resource_code"]: s["current_rows"] for s in tables["status"]}
    personal = next(
        r
        for r in sorted(tables["resource"], key=lambda r: r["resource_code"])
        if r["has_personal_fields"] and r["share_type"] == "无条件共享"
    )
    page.goto((site(lake) / "resource" / f"{slug(personal['resource_code'])}.html").as_uri())
    section = page.locator("#preview")
    assert section.locator("table").count() == 0
    assert section.locator(".no-preview").is_visible()
    assert "个人信息" in section.inner_text()
    screenshot("no-preview-personal")

    eligible = max(
        (r for r in tables["resource"] if _eligible(r)),
        key=lambda r: (rows[r["resource_code"]], r["resource_code"]),
    )
    assert rows[eligible["resource_code"]] > PREVIEW_ROWS
    page.goto((site(lake) / "resource" / f"{slug(eligible['resource_code'])}.html").as_uri())
    table = page.locator("#preview table")
    assert table.is_visible()
    assert table.locator("tbody tr").count() == PREVIEW_ROWS
    screenshot("preview")
    assert page_log.blocked == page_log.failed == page_log.errors == []


@pytest.mark.browser
def test_home_page_and_data_docs_link_when_served(lake, tables, page, page_log, screenshot):
    server = make_server(site(lake), port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        page.goto(server.url)
        screenshot("home")
        late = page.locator("#late tbody tr")
        assert late.count() == sum(s["freshness"] != "on_time" for s in tables["status"])
        page.locator("#departments tbody tr a").first.click()
        page.wait_for_url("**/department/*.html")
        screenshot("department")
        hotel = next(r for r in tables["resource"] if r["resource_id"] == "hotel")
        page.goto(server.url.replace("index.html", f"resource/{slug(hotel['resource_code'])}.html"))
        page.locator("a.docs-link").click()
        page.wait_for_url("**/quality_docs/validations/hotel/**")
        (stored,) = sorted((lake.quality_results("hotel") / "_gx").glob("*.json"))
        expected = json.loads(stored.read_text(encoding="utf-8"))["result"]["statistics"]
        assert page.get_by_text("Expectation Validation Result").first.is_visible()
        stats = page.get_by_role("row").filter(has_text="Evaluated Expectations")
        assert stats.inner_text().split()[-1] == str(expected["evaluated_expectations"])
        screenshot("data-docs")
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert page_log.blocked == page_log.failed == page_log.errors == []
