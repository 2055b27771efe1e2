"""The catalogue as DCAT-AP 3 (Turtle and JSON-LD): one ``dcat:Catalog``, one ``dcat:Dataset``
per catalogue entry, so other catalogues (the city's, data.europa.eu-style harvesters, CKAN's
ckanext-dcat) can take it in. Validated against the DCAT-AP 3.0.1 SHACL shapes in the tests.

Mapping decisions (the full table is in docs/catalogue.md, "Exports"):

- URIs are built on ``Settings.catalogue_base_uri``: the catalogue site serves each entry at its
  dataset IRI (``<base>catalogue/resource/<code with '/' as '-'>``); open datasets get a portal
  landing page ``<base>dataset/<slug>`` and files under ``<base>download/<slug>/``, where the
  publisher puts them. Codes are stable, so are the URIs.
- Published (PUBLIC, with licence and download URLs) means 无条件开放, not 涉密 and without a
  personal 信息项: open data holds no personal rows, so a resource like the enterprise register
  is published through its open product, not itself.
- Access rights: 涉密 → NON_PUBLIC; published → PUBLIC; shared between departments (无条件 /
  有条件共享) or 有条件开放 → RESTRICTED (available on conditions); otherwise NON_PUBLIC.
- 涉密 and 不予共享 resources have no distribution (nothing can be obtained); a classified entry
  lists no 信息项 keywords.
- Themes: ``vocab.yml`` ``data_theme`` maps 基础库 / 主题库 to the EU data-theme vocabulary; the
  Chinese name stays a keyword.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SKOS, XSD

from govlake.catalogue.entries import DELIVERY_FORMATS, DERIVED_FORMAT
from govlake.catalogue.export import Catalogue
from govlake.lake import atomic_path
from govlake.register import OpenType, ShareType, UpdateCycle
from govlake.settings import Settings, get_settings

EU = "http://publications.europa.eu/resource/authority/"
FREQUENCY = Namespace(EU + "frequency/")
ACCESS_RIGHT = Namespace(EU + "access-right/")
DATA_THEME = Namespace(EU + "data-theme/")
FILE_TYPE = Namespace(EU + "file-type/")
LANGUAGE = Namespace(EU + "language/")
IANA = "http://www.iana.org/assignments/media-types/"
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
PUBLISHER_TYPE = Namespace("http://purl.org/adms/publishertype/")

CATALOGUE_TITLE = {
    "zh": "石景山区政务信息资源目录",
    "en": "Shijingshan District government information resource catalogue",
}
CATALOGUE_DESCRIPTION = {
    "zh": "北京市石景山区政务部门信息资源、基础信息资源和主题信息资源目录，"
    "依据《政务信息资源目录编制指南（试行）》编制。",
    "en": "The information resources of Shijingshan District's government departments, and the "
    "base and thematic resources built from them, catalogued after the 2017 national guide for "
    "government information resource catalogues.",
}
CATALOGUE_PUBLISHER = "data_bureau"  # register id of the district's data authority
DISTRICT = {"code": "110107", "zh": "北京市石景山区", "en": "Shijingshan District, Beijing"}

FREQUENCIES = {
    UpdateCycle.realtime: "UPDATE_CONT",
    UpdateCycle.daily: "DAILY",
    UpdateCycle.weekly: "WEEKLY",
    UpdateCycle.monthly: "MONTHLY",
    UpdateCycle.quarterly: "QUARTERLY",
    UpdateCycle.yearly: "ANNUAL",
}
CYCLE_EN = {
    UpdateCycle.realtime: "continuously",
    UpdateCycle.daily: "daily",
    UpdateCycle.weekly: "weekly",
    UpdateCycle.monthly: "monthly",
    UpdateCycle.quarterly: "quarterly",
    UpdateCycle.yearly: "yearly",
}
SHARE_EN = {
    ShareType.unconditional: "shared between departments without conditions",
    ShareType.conditional: "shared between departments on conditions",
    ShareType.none: "not shared",
}
OPEN_EN = {
    OpenType.open: "open data",
    OpenType.conditional: "open on conditions",
    OpenType.closed: "not open",
}
CATEGORY_EN = {"1": "base resource", "2": "thematic resource", "3": "department resource"}
ACCESS_LABELS = {"PUBLIC": "public", "RESTRICTED": "restricted", "NON_PUBLIC": "non-public"}
# The EU data-theme vocabulary (preferred English labels), for dcat:theme concepts
DATA_THEMES = {
    "AGRI": "Agriculture, fisheries, forestry and food",
    "ECON": "Economy and finance",
    "EDUC": "Education, culture and sport",
    "ENER": "Energy",
    "ENVI": "Environment",
    "GOVE": "Government and public sector",
    "HEAL": "Health",
    "INTR": "International issues",
    "JUST": "Justice, legal system and public safety",
    "REGI": "Regions and cities",
    "SOCI": "Population and society",
    "TECH": "Science and technology",
    "TRAN": "Transport",
}
# file format → (EU file type, IANA media type or None where IANA has none)
FILE_TYPES: dict[str, tuple[str, str | None]] = {
    "csv": ("CSV", "text/csv"),
    "json": ("JSON", "application/json"),
    "jsonl": ("JSON", None),  # JSON Lines: no registered media type
    "parquet": ("PARQUET", "application/vnd.apache.parquet"),
    "xlsx": ("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}
# 信息资源格式 (catalogue_resource.format) → file format of its distribution
RESOURCE_FORMATS = {
    **{text: fmt for fmt, text in DELIVERY_FORMATS.items()},
    DERIVED_FORMAT: "parquet",
}
OPEN_FORMATS = ("csv", "json", "parquet")  # what the portal publishes of an open resource
CONTEXT = {
    "dcat": str(DCAT),
    "dct": str(DCTERMS),
    "foaf": str(FOAF),
    "vcard": str(VCARD),
    "skos": str(SKOS),
    "xsd": str(XSD),
}


class DcatError(ValueError):
    """The catalogue cannot be expressed in DCAT-AP (a mapping is missing)."""


def slug(code: str) -> str:
    """Resource code → URI segment and portal dataset name (stable: codes never change)."""
    return code.replace("/", "-")


def is_published(resource: dict[str, Any]) -> bool:
    """On the open-data portal: 无条件开放, not 涉密, no personal 信息项."""
    return (
        resource["open_type"] == OpenType.open.value
        and not resource["is_classified"]
        and not resource["has_personal_fields"]
    )


def access_right(resource: dict[str, Any]) -> str:
    """EU access-right code from 涉密属性, 开放属性 and 共享类型."""
    if resource["is_classified"]:
        return "NON_PUBLIC"
    if is_published(resource):
        return "PUBLIC"
    if (
        resource["share_type"] != ShareType.none.value
        or resource["open_type"] == OpenType.conditional.value
    ):
        return "RESTRICTED"
    return "NON_PUBLIC"


class Uris:
    """Every URI of the export, from the base URI."""

    def __init__(self, base: str):
        self.base = base if base.endswith("/") else base + "/"
        self.catalogue = URIRef(self.base + "catalogue")
        self.area = URIRef(f"{self.base}catalogue/area/{DISTRICT['code']}")

    def dataset(self, code: str) -> URIRef:
        return URIRef(f"{self.base}catalogue/resource/{slug(code)}")

    def distribution(self, code: str, fmt: str) -> URIRef:
        return URIRef(f"{self.dataset(code)}/distribution/{fmt}")

    def agent(self, department: str) -> URIRef:
        return URIRef(f"{self.base}catalogue/department/{department}")

    def contact(self, department: str) -> URIRef:
        return URIRef(f"{self.agent(department)}#contact")

    def landing_page(self, code: str) -> URIRef:
        return URIRef(f"{self.base}dataset/{slug(code)}")

    def download(self, code: str, resource_id: str, fmt: str) -> URIRef:
        return URIRef(f"{self.base}download/{slug(code)}/{resource_id}.{fmt}")


def _typed(g: Graph, node: URIRef, *classes: URIRef) -> URIRef:
    for cls in classes:
        g.add((node, RDF.type, cls))
    return node


def _concept(g: Graph, node: URIRef, label: str, scheme: URIRef) -> URIRef:
    _typed(g, node, SKOS.Concept)
    g.add((node, SKOS.prefLabel, Literal(label, lang="en")))
    g.add((node, SKOS.inScheme, scheme))
    return node


def _add_agent(g: Graph, uris: Uris, r: dict[str, Any]) -> URIRef:
    """The provider department as publisher (foaf:Agent) and contact point (vcard)."""
    agent = _typed(g, uris.agent(r["provider_id"]), FOAF.Agent, FOAF.Organization)
    g.add((agent, FOAF.name, Literal(r["provider"], lang="zh")))
    if r.get("provider_en"):
        g.add((agent, FOAF.name, Literal(r["provider_en"], lang="en")))
    if r.get("provider_code"):
        g.add((agent, DCTERMS.identifier, Literal(r["provider_code"])))
    kind = _concept(
        g,
        PUBLISHER_TYPE.LocalAuthority,
        "Local Authority",
        URIRef("http://purl.org/adms/publishertype/1.0"),
    )
    g.add((agent, DCTERMS.type, kind))
    contact = _typed(g, uris.contact(r["provider_id"]), VCARD.Kind, VCARD.Organization)
    g.add((contact, VCARD.fn, Literal(r["provider"], lang="zh")))
    g.add((contact, VCARD["organization-name"], Literal(r["provider"], lang="zh")))
    return agent


def _description_en(r: dict[str, Any]) -> str:
    cycle = CYCLE_EN[UpdateCycle(r["update_cycle"])]
    share = SHARE_EN[ShareType(r["share_type"])]
    opened = OPEN_EN[OpenType(r["open_type"])]
    provider = r.get("provider_en") or r["provider"]
    secret = " Classified." if r["is_classified"] else ""
    return (
        f"{r['name_en'] or r['name']}: {CATEGORY_EN.get(r['category'], 'resource')} "
        f"{r['resource_code']} provided by {provider}, updated {cycle}; {share}, {opened}."
        f"{secret}"
    )


def _file_type(g: Graph, fmt: str) -> tuple[URIRef, URIRef | None]:
    code, media = FILE_TYPES[fmt]
    file_type = _typed(g, FILE_TYPE[code], DCTERMS.MediaTypeOrExtent)
    media_type = _typed(g, URIRef(IANA + media), DCTERMS.MediaType) if media else None
    return file_type, media_type


def _add_distributions(
    g: Graph, uris: Uris, dataset: URIRef, r: dict[str, Any], license_uri: URIRef
) -> None:
    code = r["resource_code"]
    if is_published(r):
        landing = _typed(g, uris.landing_page(code), FOAF.Document)
        g.add((dataset, DCAT.landingPage, landing))
        for fmt in OPEN_FORMATS:
            dist = _typed(g, uris.distribution(code, fmt), DCAT.Distribution)
            g.add((dataset, DCAT.distribution, dist))
            g.add((dist, DCTERMS.title, Literal(f"{r['name']} ({fmt.upper()})", lang="zh")))
            g.add((dist, DCAT.accessURL, landing))
            g.add((dist, DCAT.downloadURL, uris.download(code, r["resource_id"], fmt)))
            g.add((dist, DCTERMS.license, license_uri))
            file_type, media_type = _file_type(g, fmt)
            g.add((dist, DCTERMS.format, file_type))
            if media_type is not None:
                g.add((dist, DCAT.mediaType, media_type))
        return
    if access_right(r) != "RESTRICTED":
        return  # 涉密 / 不予共享: nothing to obtain
    fmt = RESOURCE_FORMATS.get(r["format"])
    if fmt is None:
        raise DcatError(
            f"resource {code}: 信息资源格式 {r['format']!r} has no DCAT file type "
            f"(known: {', '.join(RESOURCE_FORMATS)}); add it to govlake.catalogue.dcat"
        )
    dist = _typed(g, uris.distribution(code, fmt), DCAT.Distribution)
    g.add((dataset, DCAT.distribution, dist))
    g.add((dist, DCTERMS.title, Literal(f"{r['name']} ({FILE_TYPES[fmt][0]})", lang="zh")))
    terms = [
        f"{label}：{r[key]}"
        for label, key in (
            ("共享方式", "share_method"),
            ("共享条件", "share_condition"),
            ("开放条件", "open_condition"),
        )
        if r.get(key)
    ]
    if terms:
        g.add((dist, DCTERMS.description, Literal("；".join(terms), lang="zh")))
    g.add((dist, DCAT.accessURL, dataset))  # requested through the catalogue's entry
    file_type, media_type = _file_type(g, fmt)
    g.add((dist, DCTERMS.format, file_type))
    if media_type is not None:
        g.add((dist, DCAT.mediaType, media_type))


def catalogue_graph(cat: Catalogue, settings: Settings | None = None) -> Graph:
    """The DCAT-AP 3 graph of the catalogue (URIs from ``settings.catalogue_base_uri``)."""
    settings = settings or get_settings()
    uris = Uris(settings.catalogue_base_uri)
    license_uri = URIRef(settings.catalogue_license)
    g = _bind(Graph())

    zho = _typed(g, LANGUAGE.ZHO, DCTERMS.LinguisticSystem)
    area = _typed(g, uris.area, DCTERMS.Location)
    g.add((area, SKOS.prefLabel, Literal(DISTRICT["zh"], lang="zh")))
    g.add((area, SKOS.prefLabel, Literal(DISTRICT["en"], lang="en")))
    g.add((area, DCTERMS.identifier, Literal(DISTRICT["code"])))
    _typed(g, license_uri, DCTERMS.LicenseDocument)
    theme_scheme = _typed(g, URIRef(EU + "data-theme"), SKOS.ConceptScheme)
    g.add((theme_scheme, DCTERMS.title, Literal("Data theme", lang="en")))

    catalogue = _typed(g, uris.catalogue, DCAT.Catalog)
    for lang in ("zh", "en"):
        g.add((catalogue, DCTERMS.title, Literal(CATALOGUE_TITLE[lang], lang=lang)))
        g.add((catalogue, DCTERMS.description, Literal(CATALOGUE_DESCRIPTION[lang], lang=lang)))
    g.add((catalogue, DCTERMS.language, zho))
    g.add((catalogue, DCTERMS.spatial, area))
    g.add((catalogue, DCAT.themeTaxonomy, theme_scheme))
    g.add((catalogue, FOAF.homepage, _typed(g, URIRef(uris.base + "catalogue/"), FOAF.Document)))
    if cat.as_of_date:
        g.add((catalogue, DCTERMS.modified, Literal(cat.as_of_date, datatype=XSD.date)))
    publisher = next((r for r in cat.resources if r["provider_id"] == CATALOGUE_PUBLISHER), None)
    if publisher is None:
        raise DcatError(
            f"the catalogue's publisher {CATALOGUE_PUBLISHER!r} provides no catalogue entry, "
            "so its name and code are unknown to the export"
        )
    g.add((catalogue, DCTERMS.publisher, _add_agent(g, uris, publisher)))

    for r in cat.resources:
        code = r["resource_code"]
        dataset = _typed(g, uris.dataset(code), DCAT.Dataset)
        g.add((catalogue, DCAT.dataset, dataset))
        g.add((dataset, DCTERMS.title, Literal(r["name"], lang="zh")))
        if r["name_en"]:
            g.add((dataset, DCTERMS.title, Literal(r["name_en"], lang="en")))
        g.add((dataset, DCTERMS.description, Literal(r["abstract"], lang="zh")))
        g.add((dataset, DCTERMS.description, Literal(_description_en(r), lang="en")))
        g.add((dataset, DCTERMS.identifier, Literal(code)))
        g.add((dataset, DCTERMS.publisher, _add_agent(g, uris, r)))
        g.add((dataset, DCAT.contactPoint, uris.contact(r["provider_id"])))
        g.add((dataset, DCTERMS.language, zho))
        g.add((dataset, DCTERMS.spatial, area))
        g.add((dataset, DCTERMS.issued, Literal(r["published_date"], datatype=XSD.date)))
        delivered = (cat.status.get(code) or {}).get("last_delivered_at")
        if delivered is not None:
            g.add((dataset, DCTERMS.modified, Literal(delivered, datatype=XSD.dateTime)))
        frequency = _typed(
            g, FREQUENCY[FREQUENCIES[UpdateCycle(r["update_cycle"])]], DCTERMS.Frequency
        )
        g.add((dataset, DCTERMS.accrualPeriodicity, frequency))
        right = access_right(r)
        rights = _typed(g, ACCESS_RIGHT[right], DCTERMS.RightsStatement)
        g.add((rights, SKOS.prefLabel, Literal(ACCESS_LABELS[right], lang="en")))
        g.add((dataset, DCTERMS.accessRights, rights))

        keywords = {r["category_name"]}
        for group in (r["base_database"], r["theme"]):
            if not group:
                continue
            keywords.add(group)
            theme = cat.data_themes.get(group)
            if theme is None:
                continue  # no EU theme for this group: the keyword alone
            if theme not in DATA_THEMES:
                raise DcatError(
                    f"vocab data_theme maps {group!r} to {theme!r}, not an EU data theme "
                    f"(known: {', '.join(DATA_THEMES)})"
                )
            g.add(
                (
                    dataset,
                    DCAT.theme,
                    _concept(g, DATA_THEME[theme], DATA_THEMES[theme], theme_scheme),
                )
            )
        if not r["is_classified"]:
            keywords |= {i["label"] for i in cat.items.get(code, []) if i["label"]}
        for word in keywords:
            g.add((dataset, DCAT.keyword, Literal(word, lang="zh")))

        for upstream in r["upstream_codes"] or []:
            g.add((dataset, DCTERMS.source, uris.dataset(upstream)))
        for related in r["related_codes"] or []:
            g.add((dataset, DCTERMS.relation, uris.dataset(related)))
        _add_distributions(g, uris, dataset, r, license_uri)
    return g


def _sorted_json(value: Any) -> Any:
    """JSON-LD arrays of values are sets: sorted, the same graph gives the same bytes."""
    if isinstance(value, dict):
        return {k: _sorted_json(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [_sorted_json(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, ensure_ascii=False, sort_keys=True))
    return value


def _bind(graph: Graph) -> Graph:
    for prefix, ns in CONTEXT.items():
        graph.bind(prefix, ns, override=True, replace=True)
    return graph


def to_turtle(graph: Graph) -> str:
    return _bind(graph).serialize(format="turtle")


def to_jsonld(graph: Graph) -> str:
    """Compacted with the DCAT prefixes; nodes and values in a stable order."""
    text = _bind(graph).serialize(format="json-ld", context=CONTEXT, auto_compact=True)
    return json.dumps(_sorted_json(json.loads(text)), ensure_ascii=False, indent=2) + "\n"


def write_dcat(graph: Graph, out_dir: Path) -> list[Path]:
    """``catalogue.ttl`` and ``catalogue.jsonld``."""
    files = {
        out_dir / "catalogue.ttl": to_turtle(graph),
        out_dir / "catalogue.jsonld": to_jsonld(graph),
    }
    for path, text in files.items():
        with atomic_path(path) as tmp:
            tmp.write_text(text, encoding="utf-8")
    return list(files)
