"""Catalogue exports on a tiny lake built once (real dbt, real DuckDB): every file holds exactly
the catalogue's rows; the CSV opens in Excel as UTF-8 with the 编制指南's headers; the workbook
has both sheets; JSON round-trips; Turtle and JSON-LD are the same graph, which conforms to the
DCAT-AP 3.0.1 SHACL shapes (and the shapes do catch a dataset without a title); classified
resources can be obtained nowhere and open ones carry a licence and download URLs."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import replace
from functools import cache
from pathlib import Path

import duckdb
import pytest
from accepted_batches import generate
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic

from govlake.catalogue import dcat
from govlake.catalogue.export import (
    ITEM_COLUMNS,
    RESOURCE_COLUMNS,
    CatalogueMissing,
    catalogue_document,
    export_catalogue,
    read_catalogue,
    resource_table,
    write_json,
    write_xlsx,
)
from govlake.register import UpdateCycle, load_register
from govlake.settings import Settings

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[1]
SHAPES = ROOT / "tests" / "data" / "dcat-ap-3.0.1"
KEY = "test-key-not-secret"
FILES = {
    "catalogue.json",
    "catalogue.csv",
    "catalogue_items.csv",
    "catalogue.xlsx",
    "catalogue.ttl",
    "catalogue.jsonld",
}
# The 编制指南 (2017) fields, as the export's first headers
GUIDE_HEADERS = [
    "信息资源分类(类)", "信息资源分类(项)", "信息资源分类(目)", "信息资源分类(细目)",
    "信息资源名称", "信息资源代码", "信息资源提供方", "提供方代码", "信息资源摘要", "信息资源格式",
    "信息项名称", "共享类型", "共享条件", "不予共享依据", "共享方式", "开放属性", "开放条件",
    "更新周期", "发布日期", "关联资源代码", "涉密属性",
]  # fmt: skip
EU = "http://publications.europa.eu/resource/authority/"
# open namespaces: rdflib's closed ones warn when pytest probes module attributes
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
RDF = Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#")
SH = Namespace("http://www.w3.org/ns/shacl#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A tiny lake, built and exported once for the module."""
    from govlake.settings import get_settings
    from govlake.transform import build

    root = tmp_path_factory.mktemp("catexport") / "lake"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GOVLAKE_LAKE_ROOT", str(root))
        mp.setenv("GOVLAKE_HMAC_KEY", KEY)
        get_settings.cache_clear()
        register = load_register(ROOT / "catalog")
        generate(root, register, scale="tiny", batch_date=dt.date(2026, 11, 2), key=KEY.encode())
        result = build()
        assert result.success, result.message
        settings = Settings()
        paths = export_catalogue(settings)
        yield settings, paths
    get_settings.cache_clear()


def _warehouse(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def _codes(settings: Settings) -> list[str]:
    sql = "select resource_code from catalogue.catalogue_resource order by 1"
    return [c for (c,) in _warehouse(settings, sql)]


def _path(paths: list[Path], name: str) -> Path:
    return next(p for p in paths if p.name == name)


def _csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))


@cache
def _shapes() -> Graph:
    """The DCAT-AP 3.0.1 shapes, without the five sh:property references ranges.ttl never
    defines (tests/data/dcat-ap-3.0.1/README.md)."""
    shapes = Graph()
    for name in ("dcat-ap-SHACL.ttl", "ranges.ttl"):
        shapes.parse(SHAPES / name)
    dangling = [
        (s, o) for s, o in shapes.subject_objects(SH.property) if (o, None, None) not in shapes
    ]
    assert len(dangling) == 5, dangling
    for s, o in dangling:
        shapes.remove((s, SH.property, o))
    return shapes


def _validate(graph: Graph) -> tuple[bool, Graph]:
    import pyshacl

    conforms, report, _ = pyshacl.validate(
        graph, shacl_graph=_shapes(), inference="none", allow_warnings=False
    )
    return conforms, report


def test_every_file_is_written_into_the_exports_folder(exported) -> None:
    settings, paths = exported
    folder = settings.lake_root / "catalogue" / "exports"
    assert {p.name for p in paths} == FILES
    assert all(p.parent == folder and p.stat().st_size > 0 for p in paths)
    assert sorted(f.name for f in folder.iterdir()) == sorted(FILES)  # nothing left aside


def test_exports_hold_exactly_the_catalogue_rows(exported) -> None:
    from openpyxl import load_workbook

    settings, paths = exported
    codes = _codes(settings)
    items = _warehouse(
        settings,
        "select resource_code, name from catalogue.catalogue_item order by resource_code, position",
    )
    assert len(codes) >= 30 and len(items) > len(codes)

    doc = json.loads(_path(paths, "catalogue.json").read_text(encoding="utf-8"))
    assert [r["resource_code"] for r in doc["resources"]] == codes
    assert [(r["resource_code"], i["name"]) for r in doc["resources"] for i in r["items"]] == items
    assert doc["catalogue"]["resource_count"] == len(codes)

    assert [r["信息资源代码"] for r in _csv(_path(paths, "catalogue.csv"))] == codes
    item_rows = _csv(_path(paths, "catalogue_items.csv"))
    assert [(r["信息资源代码"], r["英文标识"]) for r in item_rows] == items

    wb = load_workbook(_path(paths, "catalogue.xlsx"), read_only=True)
    sheet = list(wb["信息资源"].iter_rows(values_only=True))
    assert [row[sheet[0].index("信息资源代码")] for row in sheet[1:]] == codes
    assert len(list(wb["信息项"].iter_rows(values_only=True))) == len(items) + 1

    graph = Graph().parse(_path(paths, "catalogue.ttl"))
    identifiers = sorted(str(graph.value(d, DCTERMS.identifier)) for d in _datasets(graph))
    assert identifiers == codes


def test_csv_is_utf8_with_bom_and_the_guide_headers(exported) -> None:
    settings, paths = exported
    raw = _path(paths, "catalogue.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and raw.count(b"\r\n") == len(_codes(settings)) + 1
    header = next(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert header[: len(GUIDE_HEADERS)] == GUIDE_HEADERS
    assert header == [c.header for c in RESOURCE_COLUMNS]
    assert _path(paths, "catalogue_items.csv").read_bytes().startswith(b"\xef\xbb\xbf")

    warehouse = {
        r[0]: r
        for r in _warehouse(
            settings,
            "select resource_code, name, provider, share_type, open_type, update_cycle, "
            "published_date, is_classified, related_codes from catalogue.catalogue_resource",
        )
    }
    for row in _csv(_path(paths, "catalogue.csv")):
        _, name, provider, share, opened, cycle, published, secret, related = warehouse[
            row["信息资源代码"]
        ]
        assert (row["信息资源名称"], row["信息资源提供方"]) == (name, provider)
        assert (row["共享类型"], row["开放属性"], row["更新周期"]) == (share, opened, cycle)
        assert row["发布日期"] == published.isoformat()
        assert row["涉密属性"] == ("涉密" if secret else "非涉密")
        assert row["关联资源代码"] == "; ".join(related)


def test_workbook_has_two_sheets_with_typed_cells(exported) -> None:
    from openpyxl import load_workbook

    _, paths = exported
    wb = load_workbook(_path(paths, "catalogue.xlsx"), read_only=True)
    assert wb.sheetnames == ["信息资源", "信息项"]
    resources = list(wb["信息资源"].iter_rows(values_only=True))
    items = list(wb["信息项"].iter_rows(values_only=True))
    assert list(resources[0]) == [c.header for c in RESOURCE_COLUMNS]
    assert list(items[0]) == [c.header for c in ITEM_COLUMNS]
    published = resources[0].index("发布日期")
    assert all(isinstance(row[published], dt.datetime) for row in resources[1:])
    csv_rows = _csv(_path(paths, "catalogue.csv"))
    names = resources[0].index("信息资源名称")
    assert [row[names] for row in resources[1:]] == [r["信息资源名称"] for r in csv_rows]


def test_json_round_trips_in_the_models_column_order(exported) -> None:
    settings, paths = exported
    text = _path(paths, "catalogue.json").read_text(encoding="utf-8")
    doc = json.loads(text)
    assert json.dumps(doc, ensure_ascii=False, indent=2) + "\n" == text
    assert doc["catalogue"]["title"] in text  # Chinese as written, not \u-escaped
    columns = [
        name
        for (name,) in _warehouse(
            settings,
            "select column_name from information_schema.columns where table_schema = "
            "'catalogue' and table_name = 'catalogue_resource' order by ordinal_position",
        )
    ]
    for resource in doc["resources"]:
        assert list(resource) == [*columns, "items", "status", "metadata_quality"]
        assert resource["status"]["freshness"] in {"on_time", "late", "never_delivered"}
        assert 0 <= resource["metadata_quality"]["score"] <= 100
    again = json.loads(
        json.dumps(catalogue_document(read_catalogue(settings)), default=lambda v: v.isoformat())
    )
    assert again == doc


def _datasets(graph: Graph) -> list[URIRef]:
    return sorted(graph.subjects(RDF.type, DCAT.Dataset))


def test_turtle_and_jsonld_are_the_same_graph(exported) -> None:
    _, paths = exported
    turtle = Graph().parse(_path(paths, "catalogue.ttl"))
    jsonld = Graph().parse(_path(paths, "catalogue.jsonld"))
    assert len(turtle) > 1000 and isomorphic(turtle, jsonld)


def test_dcat_conforms_to_dcat_ap_3(exported) -> None:
    _, paths = exported
    conforms, report = _validate(Graph().parse(_path(paths, "catalogue.ttl")))
    results = list(report.subjects(RDF.type, SH.ValidationResult))
    assert conforms and results == []


def test_shacl_reports_a_dataset_without_a_title(exported) -> None:
    _, paths = exported
    graph = Graph().parse(_path(paths, "catalogue.ttl"))
    dataset = _datasets(graph)[0]
    graph.remove((dataset, DCTERMS.title, None))
    conforms, report = _validate(graph)
    assert not conforms
    reported = {
        (report.value(r, SH.focusNode), report.value(r, SH.resultPath))
        for r in report.subjects(RDF.type, SH.ValidationResult)
    }
    assert reported == {(dataset, DCTERMS.title)}


def test_access_rights_distributions_and_licence(exported) -> None:
    settings, paths = exported
    graph = Graph().parse(_path(paths, "catalogue.ttl"))
    cat = read_catalogue(settings)
    rows = {r["resource_code"]: r for r in cat.resources}
    seen = {"PUBLIC": 0, "RESTRICTED": 0, "NON_PUBLIC": 0, "classified": 0}
    for dataset in _datasets(graph):
        row = rows[str(graph.value(dataset, DCTERMS.identifier))]
        right = str(graph.value(dataset, DCTERMS.accessRights)).removeprefix(EU + "access-right/")
        seen[right] += 1
        distributions = list(graph.objects(dataset, DCAT.distribution))
        downloads = [u for d in distributions for u in graph.objects(d, DCAT.downloadURL)]
        licences = [u for d in distributions for u in graph.objects(d, DCTERMS.license)]
        if row["is_classified"]:
            seen["classified"] += 1
            assert right == "NON_PUBLIC" and distributions == []
            labels = {Literal(i["label"], lang="zh") for i in cat.items[row["resource_code"]]}
            assert labels and not set(graph.objects(dataset, DCAT.keyword)) & labels
        elif right == "PUBLIC":
            assert row["open_type"] == "无条件开放" and not row["has_personal_fields"]
            assert len(distributions) == len(downloads) == len(licences) == 3
            assert all(str(u) == settings.catalogue_license for u in licences)
            assert all(
                str(u).startswith(settings.catalogue_base_uri + "download/") for u in downloads
            )
        else:
            assert downloads == [] and licences == []
            if row["share_type"] == "不予共享" and row["open_type"] != "有条件开放":
                assert right == "NON_PUBLIC" and distributions == []
            else:
                assert right == "RESTRICTED" and len(distributions) == 1
    assert seen["classified"] >= 1 and seen["PUBLIC"] >= 5 and seen["RESTRICTED"] >= 5
    # open by the register, but with a personal 信息项: published through its open product only
    enterprise = dcat.Uris(settings.catalogue_base_uri).dataset(
        next(c for c, r in rows.items() if r["resource_id"] == "enterprise_registration")
    )
    assert graph.value(enterprise, DCTERMS.accessRights) == URIRef(EU + "access-right/RESTRICTED")


def test_vocabularies_map_every_cycle_and_theme(exported) -> None:
    settings, paths = exported
    assert set(dcat.FREQUENCIES) == set(UpdateCycle)
    vocab = load_register(ROOT / "catalog").vocab
    groups = set(vocab["base_database"]) | set(vocab["theme"])
    assert set(vocab["data_theme"]) == groups
    assert set(vocab["data_theme"].values()) <= set(dcat.DATA_THEMES)
    graph = Graph().parse(_path(paths, "catalogue.ttl"))
    for row in read_catalogue(settings).resources:
        dataset = dcat.Uris(settings.catalogue_base_uri).dataset(row["resource_code"])
        cycle = dcat.FREQUENCIES[UpdateCycle(row["update_cycle"])]
        assert graph.value(dataset, DCTERMS.accrualPeriodicity) == URIRef(EU + "frequency/" + cycle)
        for group in filter(None, (row["base_database"], row["theme"])):
            theme = URIRef(EU + "data-theme/" + vocab["data_theme"][group])
            assert (dataset, DCAT.theme, theme) in graph
            assert (dataset, DCAT.keyword, Literal(group, lang="zh")) in graph
        assert {t.language for t in graph.objects(dataset, DCTERMS.title)} == {"zh", "en"}
        assert {d.language for d in graph.objects(dataset, DCTERMS.description)} == {"zh", "en"}


def test_exports_are_reproducible_and_follow_the_base_uri(exported, tmp_path) -> None:
    settings, paths = exported
    again = export_catalogue(settings, out_dir=tmp_path)
    for path in again:
        if path.suffix != ".xlsx":  # a workbook records when it was saved
            assert path.read_bytes() == _path(paths, path.name).read_bytes(), path.name
    graph = dcat.catalogue_graph(read_catalogue(settings), settings)
    reversed_graph = Graph()
    for triple in reversed(list(graph)):
        reversed_graph.add(triple)
    assert dcat.to_turtle(reversed_graph) == dcat.to_turtle(graph)
    assert dcat.to_jsonld(reversed_graph) == dcat.to_jsonld(graph)

    other = settings.model_copy(update={"catalogue_base_uri": "https://example.org/sjs/"})
    moved = dcat.catalogue_graph(read_catalogue(settings), other)
    assert all(str(d).startswith("https://example.org/sjs/catalogue/") for d in _datasets(moved))


def test_a_delivered_resource_carries_its_delivery_time(exported, tmp_path) -> None:
    """The tiny lake has no manifests (nothing 'delivered'): give one entry a delivery time
    with a time zone, as catalogue_status has after real deliveries."""
    from openpyxl import load_workbook

    settings, _ = exported
    cat = read_catalogue(settings)
    code = next(r["resource_code"] for r in cat.resources if r["resource_id"] == "hotel")
    at = dt.datetime(2026, 11, 2, 8, 30, tzinfo=dt.UTC)
    status = {**cat.status, code: {**cat.status[code], "last_delivered_at": at}}
    cat = replace(cat, status=status)

    graph = dcat.catalogue_graph(cat, settings)
    dataset = dcat.Uris(settings.catalogue_base_uri).dataset(code)
    assert graph.value(dataset, DCTERMS.modified) == Literal(at, datatype=XSD.dateTime)
    assert _validate(graph)[0]

    doc = json.loads(write_json(cat, tmp_path / "c.json").read_text(encoding="utf-8"))
    assert (
        next(r for r in doc["resources"] if r["resource_code"] == code)["status"][
            "last_delivered_at"
        ]
        == "2026-11-02T08:30:00+00:00"
    )
    header, rows = resource_table(cat)
    write_xlsx([("信息资源", header, rows)], tmp_path / "c.xlsx")
    sheet = list(load_workbook(tmp_path / "c.xlsx", read_only=True)["信息资源"].values)
    row = next(r for r in sheet if r[header.index("信息资源代码")] == code)
    assert row[header.index("最近报送时间")] == "2026-11-02T08:30:00+00:00"


def test_what_dcat_cannot_express_is_a_clear_error(exported) -> None:
    settings, _ = exported
    cat = read_catalogue(settings)
    shared = next(r for r in cat.resources if r["resource_id"] == "tax_registration")
    paper = replace(
        cat, resources=[{**r, "format": "纸质文件"} if r is shared else r for r in cat.resources]
    )
    with pytest.raises(dcat.DcatError, match=r"resource 305001001/000001: 信息资源格式 '纸质文件'"):
        dcat.catalogue_graph(paper, settings)
    wrong = replace(cat, data_themes={**cat.data_themes, "法人": "BUSI"})
    with pytest.raises(dcat.DcatError, match="maps '法人' to 'BUSI', not an EU data theme"):
        dcat.catalogue_graph(wrong, settings)


def test_missing_warehouse_or_catalogue_is_a_clear_error(tmp_path) -> None:
    settings = Settings(lake_root=tmp_path / "lake")
    with pytest.raises(CatalogueMissing, match=r"no warehouse at .*: run `govlake build` first"):
        export_catalogue(settings)
    settings.lake_root.mkdir()
    duckdb.connect(str(settings.warehouse)).close()
    with pytest.raises(
        CatalogueMissing, match=r"no catalogue table\(s\) catalogue.catalogue_resource"
    ):
        export_catalogue(settings)
    assert not (settings.lake_root / "catalogue").exists()


def test_docs_list_every_exported_column() -> None:
    text = (ROOT / "docs" / "catalogue.md").read_text(encoding="utf-8")
    section = text[text.index("## Exports") :]
    for column in (*RESOURCE_COLUMNS, *ITEM_COLUMNS):
        assert f"| {column.header} | `{column.key}` |" in section, column
