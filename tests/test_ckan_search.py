"""The govlake_pgsearch plugin on its own: CKAN's search answered by PostgreSQL, through CKAN's
real action API and pages (the session's local portal, ``ckan_portal``).

Every query is scoped to this module's two organizations, so datasets other tests publish on
the same portal do not change the counts.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import ckanapi
import pytest

pytestmark = pytest.mark.integration

ORGS = ("srch-a", "srch-b")
SCOPE = "+organization:(srch-a OR srch-b)"
DATASETS = [
    {
        "name": "srch-pop-stats",
        "title": "人口统计 Population statistics",
        "owner_org": "srch-a",
        "license_id": "cc-by",
        "tags": ["population", "人口"],
        "groups": ["srch-health"],
        "formats": ["CSV", "JSON"],
        "extras": {"update_cycle": "每月", "resource_code": "A01/001"},
    },
    {
        "name": "srch-econ-output",
        "title": "经济产出 Economic output",
        "owner_org": "srch-b",
        "license_id": "odc-odbl",
        "tags": ["economy"],
        "groups": ["srch-economy"],
        "formats": ["PARQUET"],
        "extras": {"update_cycle": "每年", "resource_code": "B02/001"},
    },
    {
        "name": "srch-clinics",
        "title": "医疗机构 Health clinics",
        "owner_org": "srch-a",
        "license_id": "cc-zero",
        "tags": ["health", "population"],
        "groups": ["srch-health", "srch-economy"],
        "formats": ["CSV"],
        "extras": {"update_cycle": "每年", "resource_code": "A03/002"},
    },
    {
        "name": "srch-budget",
        "title": "内部预算 Internal budget",
        "owner_org": "srch-b",
        "license_id": "cc-by",
        "tags": ["economy"],
        "groups": [],
        "formats": ["CSV"],
        "extras": {"update_cycle": "每月", "resource_code": "B09/001"},
        "private": True,
    },
]
PUBLIC = sorted(d["name"] for d in DATASETS if not d.get("private"))


@pytest.fixture(scope="module")
def admin(ckan_portal):
    with ckanapi.RemoteCKAN(ckan_portal.url, apikey=ckan_portal.api_token) as client:
        yield client


@pytest.fixture(scope="module")
def anon(ckan_portal):
    with ckanapi.RemoteCKAN(ckan_portal.url) as client:
        yield client


@pytest.fixture(scope="module", autouse=True)
def catalogue(admin):
    """Two organizations, two groups, four datasets (one private), created in list order."""
    titles = {"srch-a": "区卫生健康委", "srch-b": "区统计局"}
    for org in ORGS:
        admin.action.organization_create(name=org, title=titles[org])
    for group in ("srch-health", "srch-economy"):
        admin.action.group_create(name=group, title=group)
    for spec in DATASETS:
        admin.action.package_create(
            name=spec["name"],
            title=spec["title"],
            owner_org=spec["owner_org"],
            license_id=spec["license_id"],
            private=spec.get("private", False),
            tags=[{"name": t} for t in spec["tags"]],
            groups=[{"name": g} for g in spec["groups"]],
            extras=[{"key": k, "value": v} for k, v in spec["extras"].items()],
            resources=[
                {"name": f"data.{f.lower()}", "url": f"http://example.org/x.{f.lower()}"}
                | {"format": f}
                for f in spec["formats"]
            ],
        )


def search(client, fq: str = "", **params):
    return client.call_action("package_search", {"fq": f"{SCOPE} {fq}".strip(), **params})


def names(result) -> list[str]:
    return [d["name"] for d in result["results"]]


def test_everything_public_and_only_that_for_anonymous(anon, admin):
    result = search(anon, rows=100)
    assert result["count"] == 3
    assert sorted(names(result)) == PUBLIC
    # full dataset dicts come back from the stored documents
    pop = next(d for d in result["results"] if d["name"] == "srch-pop-stats")
    assert pop["organization"]["name"] == "srch-a"
    assert sorted(t["name"] for t in pop["tags"]) == ["population", "人口"]
    assert {r["format"] for r in pop["resources"]} == {"CSV", "JSON"}


def test_private_dataset_only_for_those_allowed(anon, admin):
    assert search(anon, q="Internal budget")["count"] == 0
    assert search(anon, q="内部预算", include_private=True)["count"] == 0
    assert names(search(admin, q="内部预算", include_private=True)) == ["srch-budget"]
    assert search(admin, rows=100, include_private=True)["count"] == 4
    with pytest.raises(ckanapi.NotAuthorized):
        anon.action.package_show(id="srch-budget")


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("人口", ["srch-pop-stats"]),  # Chinese substring of a title
        ("population", ["srch-pop-stats", "srch-clinics"]),  # title^4 + tags^2 ranks first
        ("population clinics", ["srch-clinics"]),  # two terms: both must match (mm)
        ("ECONOMIC", ["srch-econ-output"]),  # case-insensitive
        ("nothing-like-this", []),
        ("name:srch-econ-output", ["srch-econ-output"]),  # fielded queries CKAN sends
        ('id:"no-such-id" OR name:"srch-clinics"', ["srch-clinics"]),
        ("tags:economy", ["srch-econ-output"]),  # the private one stays hidden
        ("title:经济*", ["srch-econ-output"]),
        ("res_format:JSON", ["srch-pop-stats"]),
        ("*:* -tags:population", ["srch-econ-output"]),
        ("tags:population NOT groups:srch-economy", ["srch-pop-stats"]),
    ],
)
def test_q(anon, q, expected):
    result = search(anon, q=q)
    assert names(result) == expected
    assert result["count"] == len(expected)


def test_a_query_it_cannot_read_is_a_search_error(anon):
    with pytest.raises(ckanapi.SearchError, match=r"unbalanced|missing"):
        search(anon, q="title:(unbalanced")
    with pytest.raises(ckanapi.SearchError):
        search(anon, fq='tags:"no closing quote')


@pytest.mark.parametrize(
    ("fq", "expected"),
    [
        ("organization:srch-a", ["srch-clinics", "srch-pop-stats"]),
        ('groups:"srch-economy"', ["srch-clinics", "srch-econ-output"]),
        ("tags:health", ["srch-clinics"]),
        ('tags:"人口"', ["srch-pop-stats"]),
        ('res_format:"CSV"', ["srch-clinics", "srch-pop-stats"]),
        ("res_format:PARQUET", ["srch-econ-output"]),
        ("license_id:cc-zero", ["srch-clinics"]),
        ('extras_update_cycle:"每月"', ["srch-pop-stats"]),
        ('extras_resource_code:"B02/001"', ["srch-econ-output"]),
        ("+dataset_type:dataset", PUBLIC),
        ("-organization:srch-a", ["srch-econ-output"]),
        ("tags:(health OR economy)", ["srch-clinics", "srch-econ-output"]),
        ("tags:population AND groups:srch-health", ["srch-clinics", "srch-pop-stats"]),
        ("tags:population -groups:srch-economy", ["srch-pop-stats"]),
        ("capacity:private", []),
        ("metadata_modified:[2000-01-01T00:00:00Z TO NOW]", PUBLIC),
        ("metadata_modified:[NOW TO *]", []),
        ("num_resources:[2 TO *]", ["srch-pop-stats"]),
    ],
)
def test_fq(anon, fq, expected):
    result = search(anon, fq=fq, sort="name asc")
    assert names(result) == sorted(expected)
    assert result["count"] == len(expected)


def test_sort(anon):
    assert names(search(anon, sort="name asc")) == PUBLIC
    assert names(search(anon, sort="name desc")) == PUBLIC[::-1]
    by_title = sorted(DATASETS[:3], key=lambda d: d["title"])
    assert names(search(anon, sort="title_string asc")) == [d["name"] for d in by_title]
    created = ["srch-pop-stats", "srch-econ-output", "srch-clinics"]  # creation order
    assert names(search(anon, sort="metadata_modified desc")) == created[::-1]
    # CKAN's default: score, then newest
    assert names(search(anon, q="population")) == ["srch-pop-stats", "srch-clinics"]
    with pytest.raises(ckanapi.SearchQueryError):
        search(anon, sort="name sideways")


def test_rows_and_start_page_through_everything(anon):
    pages = [search(anon, sort="name asc", rows=1, start=i) for i in range(4)]
    assert [p["count"] for p in pages] == [3, 3, 3, 3]
    assert [names(p) for p in pages] == [[n] for n in PUBLIC] + [[]]
    two = search(anon, sort="name asc", rows=2, start=1)
    assert names(two) == PUBLIC[1:]
    assert search(anon, rows=0)["results"] == []


def facets(result, field: str) -> dict[str, int]:
    return {i["name"]: i["count"] for i in result["search_facets"][field]["items"]}


def test_facets(anon):
    fields = ["organization", "groups", "tags", "res_format", "license_id"]
    result = search(anon, **{"facet.field": fields, "facet.limit": -1})
    assert facets(result, "organization") == {"srch-a": 2, "srch-b": 1}
    assert facets(result, "groups") == {"srch-health": 2, "srch-economy": 2}
    assert facets(result, "tags") == {"population": 2, "人口": 1, "economy": 1, "health": 1}
    assert facets(result, "res_format") == {"CSV": 2, "JSON": 1, "PARQUET": 1}
    assert facets(result, "license_id") == {"cc-by": 1, "odc-odbl": 1, "cc-zero": 1}
    # display names come from the organization titles
    orgs = {i["name"]: i["display_name"] for i in result["search_facets"]["organization"]["items"]}
    assert orgs == {"srch-a": "区卫生健康委", "srch-b": "区统计局"}
    # counts follow the query; limit keeps the largest; mincount drops the small
    narrowed = search(anon, fq="tags:population", **{"facet.field": ["res_format"]})
    assert facets(narrowed, "res_format") == {"CSV": 2, "JSON": 1}
    top = search(anon, **{"facet.field": ["tags"], "facet.limit": 1})
    assert facets(top, "tags") == {"population": 2}
    common = search(anon, **{"facet.field": ["tags"], "facet.mincount": 2})
    assert facets(common, "tags") == {"population": 2}


def test_autocomplete_and_group_counts(anon):
    found = anon.action.package_autocomplete(q="srch-econ")
    assert [d["name"] for d in found] == ["srch-econ-output"]
    orgs = {o["name"]: o for o in anon.action.organization_list(all_fields=True)}
    assert orgs["srch-a"]["package_count"] == 2
    assert orgs["srch-b"]["package_count"] == 1  # the private dataset is not counted


def test_updates_are_reindexed_and_deleted_disappears(admin, anon):
    admin.action.package_create(name="srch-temporary", title="临时 Alpha", owner_org="srch-a")
    assert names(search(anon, q="Alpha")) == ["srch-temporary"]
    admin.action.package_patch(id="srch-temporary", title="临时 Beta")
    assert search(anon, q="Alpha")["count"] == 0
    assert names(search(anon, q="Beta")) == ["srch-temporary"]
    admin.action.package_delete(id="srch-temporary")
    assert search(anon, q="Beta")["count"] == 0
    assert search(admin, q="Beta", include_private=True, include_deleted=True)["count"] == 0
    assert search(anon)["count"] == 3
    assert admin.action.package_show(id="srch-temporary")["state"] == "deleted"


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, ""


def test_pages_search_through_the_plugin(ckan_portal):
    status, page = get(f"{ckan_portal.url}/dataset/?q=population")
    assert status == 200
    assert "人口统计 Population statistics" in page and "医疗机构 Health clinics" in page
    assert "经济产出" not in page
    status, page = get(f"{ckan_portal.url}/organization/srch-a")
    assert status == 200
    assert "人口统计" in page and "医疗机构" in page and "经济产出" not in page
    status, page = get(f"{ckan_portal.url}/group/srch-economy")
    assert status == 200
    assert "经济产出" in page and "医疗机构" in page and "人口统计" not in page
    status, page = get(f"{ckan_portal.url}/dataset/?tags=health&res_format=CSV")
    assert status == 200
    assert "医疗机构" in page and "人口统计" not in page


def test_dcat_endpoints(ckan_portal):
    status, catalog = get(f"{ckan_portal.url}/catalog.ttl")
    assert status == 200
    assert "dcat:Catalog" in catalog
    assert "人口统计 Population statistics" in catalog
    assert "内部预算" not in catalog  # private datasets are not in the public catalogue
    status, rdf = get(f"{ckan_portal.url}/dataset/srch-pop-stats.rdf")
    assert status == 200
    assert "dcat:Dataset" in rdf and "人口统计 Population statistics" in rdf
    assert get(f"{ckan_portal.url}/dataset/srch-budget.rdf")[0] in (403, 404)


def test_the_chinese_interface_gets_its_javascript_translations(ckan_portal):
    """The govlake_locale plugin: what CKAN's client.js asks for under the default zh_Hans_CN
    (``zh_Hans-CN``) is answered with the Chinese translations, not 400; the real name too."""
    status, page = get(f"{ckan_portal.url}/dataset/")
    assert status == 200 and '<html lang="zh-Hans-CN"' in page
    asked, proper = (get(f"{ckan_portal.url}/api/i18n/{n}") for n in ("zh_Hans-CN", "zh_Hans_CN"))
    assert asked[0] == proper[0] == 200
    assert asked[1] == proper[1] and json.loads(asked[1])
    assert get(f"{ckan_portal.url}/api/i18n/xx_Yy-ZZ")[0] == 400  # unknown locales still refused
