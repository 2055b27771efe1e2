"""CKAN's search index kept in PostgreSQL: a pysolr-compatible connection answered with SQL.

CKAN reaches Solr only through the pysolr object ``ckan.lib.search.common.make_connection()``
returns, and calls four of its methods: ``search``, ``add``, ``delete`` and ``commit``.
``PgSolr`` offers those four on two tables in CKAN's own database: one row per search document
(the JSON CKAN would send Solr, plus a lower-cased catch-all text for free-text search) and one
row per (field, value) for filters and facets. Queries are the Lucene subset CKAN and its users
send (``field:value``, ``field:"phrase"``, ``field:(a OR b)``, ``+``/``-``/``AND``/``OR``/``NOT``,
``[a TO b]`` ranges, ``*`` wildcards) and dismax free text with ``qf`` weights and ``mm``.
Free text is a case-insensitive substring match, which also works for Chinese (PostgreSQL's
full-text parser does not split Chinese words).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pysolr

DOC_TABLE = "govlake_search_doc"
VALUE_TABLE = "govlake_search_value"

# Solr "text" fields in CKAN's schema (tokenised, case-insensitive): matched as substrings.
# Every other field is a Solr "string" field: matched exactly.
TEXT_FIELDS = {
    "text", "title", "notes", "author", "maintainer", "res_name", "res_description",
    "urls", "res_url", "ckan_url", "download_url",
}  # fmt: skip
TEXT_PREFIXES = ("extras_", "res_extras_")
# What Solr's catch-all ``text`` field is copied from in CKAN's schema.
BODY_FIELDS = (
    "name", "title", "notes", "tags", "groups", "organization", "res_name", "res_description",
    "res_format", "author", "maintainer", "url", "version", "license_id", "text", "urls",
)  # fmt: skip
# Solr's n-gram copies of name and title (package_autocomplete): a substring of the original
NGRAM_FIELDS = {"name_ngram": "name", "title_ngram": "title"}
NOT_INDEXED = {"data_dict", "validated_data_dict"}  # kept in the document, never matched
DEFAULT_QF = "name^4 title^4 tags^2 groups^2 text"
DEFAULT_MM = "2<-1 5<80%"

_SCHEMA = f"""
SELECT pg_advisory_xact_lock(727173);
CREATE SEQUENCE IF NOT EXISTS govlake_search_seq;
CREATE TABLE IF NOT EXISTS {DOC_TABLE} (
    index_id text PRIMARY KEY,
    seq bigint NOT NULL,
    doc jsonb NOT NULL,
    body text NOT NULL
);
CREATE TABLE IF NOT EXISTS {VALUE_TABLE} (
    index_id text NOT NULL REFERENCES {DOC_TABLE} ON DELETE CASCADE,
    field text NOT NULL,
    value text NOT NULL
);
CREATE INDEX IF NOT EXISTS govlake_search_value_field ON {VALUE_TABLE} (field, value);
-- a document's values of one field: every filter and free-text term is such a lookup
DROP INDEX IF EXISTS govlake_search_value_doc;
CREATE INDEX IF NOT EXISTS govlake_search_value_doc_field ON {VALUE_TABLE} (index_id, field);
"""


class QuerySyntaxError(pysolr.SolrError):
    """A query CKAN (or a user through CKAN) sent that this subset cannot read."""


# --- parsing -------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<phrase>"(?:[^"\\]|\\.)*")(?:~\d+)?(?:\^[\d.]+)?
    | (?P<range>[\[{][^\]}]*[\]}])
    | (?P<op>\(|\)|&&|\|\||[+!-](?=\S))
    | (?P<word>(?:[^\s()"\[\]{}:\\]|\\.)+)
    | (?P<colon>:)
    )""",
    re.X,
)
_MODIFIER = re.compile(r"(?:~[\d.]*|\^[\d.]+)$")


@dataclass
class Term:
    field: str | None
    value: str
    phrase: bool = False


@dataclass
class Range:
    field: str | None
    low: str
    high: str
    low_inclusive: bool
    high_inclusive: bool


@dataclass
class Bool:
    must: list[Any] = field(default_factory=list)
    should: list[Any] = field(default_factory=list)
    must_not: list[Any] = field(default_factory=list)


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise QuerySyntaxError(f"cannot parse query {text!r} at {text[pos:]!r}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


class Parser:
    """Lucene's standard syntax, default operator AND (CKAN sends ``q.op=AND``)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.pos = 0

    def parse(self) -> Bool:
        node = self._bool(None)
        if self.pos < len(self.tokens):
            raise QuerySyntaxError(f"unbalanced parenthesis in query {self.text!r}")
        return node

    def _peek(self, offset: int = 0) -> tuple[str, str] | None:
        at = self.pos + offset
        return self.tokens[at] if at < len(self.tokens) else None

    def _bool(self, default_field: str | None) -> Bool:
        clauses: list[list[Any]] = []  # [occur, explicit, node]
        conjunction = None
        while (token := self._peek()) and token != ("op", ")"):
            kind, value = token
            if (kind, value) in {("word", "AND"), ("op", "&&")}:
                conjunction = "AND"
                self.pos += 1
                continue
            if (kind, value) in {("word", "OR"), ("op", "||")}:
                conjunction = "OR"
                if clauses and not clauses[-1][1]:
                    clauses[-1][0] = "should"
                self.pos += 1
                continue
            occur, explicit = "must", False
            if (kind, value) == ("op", "+"):
                explicit = True
                self.pos += 1
            elif (kind, value) in {("op", "-"), ("op", "!"), ("word", "NOT")}:
                occur, explicit = "must_not", True
                self.pos += 1
            node = self._clause(default_field)
            if conjunction == "OR" and not explicit:
                occur = "should"
            clauses.append([occur, explicit, node])
            conjunction = None
        result = Bool()
        for occur, _, node in clauses:
            getattr(result, occur).append(node)
        return result

    def _clause(self, default_field: str | None) -> Any:
        token = self._peek()
        if token is None:
            raise QuerySyntaxError(f"query {self.text!r} ends where a term was expected")
        kind, value = token
        if kind == "word" and self._peek(1) == ("colon", ":"):
            self.pos += 2
            return self._value(_unescape(value))
        return self._value(default_field)

    def _value(self, name: str | None) -> Any:
        token = self._peek()
        if token is None:
            raise QuerySyntaxError(f"query {self.text!r} ends where a value was expected")
        kind, value = token
        self.pos += 1
        if (kind, value) == ("op", "("):
            node = self._bool(name)
            if self._peek() != ("op", ")"):
                raise QuerySyntaxError(f"missing ')' in query {self.text!r}")
            self.pos += 1
            return node
        if kind == "phrase":
            body = value[1 : value.rindex('"')]
            return Term(name, _unescape(body), phrase=True)
        if kind == "range":
            parts = value[1:-1].split(" TO ")
            if len(parts) != 2:
                raise QuerySyntaxError(f"range {value!r} must read [low TO high]")
            low, high = (_unescape(p.strip().strip('"')) for p in parts)
            return Range(name, low, high, value[0] == "[", value[-1] == "]")
        if kind == "word":
            return Term(name, _unescape(_MODIFIER.sub("", value)))
        raise QuerySyntaxError(f"unexpected {value!r} in query {self.text!r}")


# --- SQL -----------------------------------------------------------------------------------


def _like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _is_text(name: str) -> bool:
    return name in TEXT_FIELDS or name.startswith(TEXT_PREFIXES)


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_NUMBER = r"^-?[0-9]+(\.[0-9]+)?$"


class Sql:
    """Builds one boolean SQL expression over the document alias ``d``; params in order."""

    def __init__(self, default_field: str = "text") -> None:
        self.params: list[Any] = []
        self.default_field = default_field

    def param(self, value: Any) -> str:
        self.params.append(value)
        return "%s"

    def values(self, name: str, condition: Callable[[], str]) -> str:
        """A value of ``name`` meets ``condition`` (called after the field's own parameter)."""
        field = self.param(name)  # a semi-join PostgreSQL hashes once, not a lookup per document
        head = f"d.index_id IN (SELECT v.index_id FROM {VALUE_TABLE} v WHERE v.field = {field} AND "
        return head + condition() + ")"

    def contains(self, name: str, text: str) -> str:
        """Case-insensitive substring match (Solr text fields, free text)."""
        pattern = "%" + _like(text.lower()) + "%"
        if name in ("text", "_text_"):
            return f"d.body LIKE {self.param(pattern)}"
        return self.values(name, lambda: f"lower(v.value) LIKE {self.param(pattern)}")

    def node(self, node: Any) -> str:
        if isinstance(node, Bool):
            parts = [self.node(n) for n in node.must]
            parts += [f"NOT ({self.node(n)})" for n in node.must_not]
            if node.should and not node.must:
                parts.append("(" + " OR ".join(self.node(n) for n in node.should) + ")")
            return "(" + " AND ".join(parts) + ")" if parts else "TRUE"
        if isinstance(node, Range):
            return self.range(node)
        return self.term(node)

    def term(self, term: Term) -> str:
        name = term.field or self.default_field
        value = term.value
        if name == "*" and value == "*":
            return "TRUE"
        if name in NGRAM_FIELDS:
            return self.contains(NGRAM_FIELDS[name], value)
        if not term.phrase and value == "*":
            return self.values(name, lambda: "TRUE")
        if not term.phrase and ("*" in value or "?" in value):
            pattern = _like(value).replace("*", "%").replace("?", "_")
            if name in ("text", "_text_"):
                return f"d.body LIKE {self.param('%' + pattern.lower() + '%')}"
            if _is_text(name):  # a word anywhere in the text
                pattern = "%" + pattern.lower() + "%"
                return self.values(name, lambda: f"lower(v.value) LIKE {self.param(pattern)}")
            return self.values(name, lambda: f"v.value LIKE {self.param(pattern)}")
        if name in ("text", "_text_") or _is_text(name):
            return self.contains(name, value)
        return self.values(name, lambda: f"v.value = {self.param(value)}")

    def range(self, node: Range) -> str:
        name = node.field or self.default_field
        low, high = (_now() if b.startswith("NOW") else b for b in (node.low, node.high))
        numeric = all(b == "*" or re.match(_NUMBER, b) for b in (low, high))
        # CASE, not "is a number AND ::numeric": PostgreSQL may evaluate an AND in any order
        column = (
            f"(CASE WHEN v.value ~ '{_NUMBER}' THEN v.value::numeric END)" if numeric else "v.value"
        )

        def condition() -> str:
            conditions = []
            for bound, inclusive, op in (
                (low, node.low_inclusive, ">"),
                (high, node.high_inclusive, "<"),
            ):
                if bound != "*":
                    value = float(bound) if numeric else bound
                    conditions.append(f"{column} {op}{'=' * inclusive} {self.param(value)}")
            return " AND ".join(conditions) or "TRUE"

        return self.values(name, condition)


def _weights(qf: str) -> list[tuple[str, float]]:
    out = []
    for part in qf.split():
        name, _, boost = part.partition("^")
        out.append((name, float(boost or 1)))
    return out


def minimum_match(spec: str, optional: int) -> int:
    """Solr's ``mm`` (e.g. ``2<-1 5<80%``) for a number of optional clauses."""

    def apply(rule: str) -> int:
        if rule.endswith("%"):
            share = math.floor(optional * abs(float(rule[:-1])) / 100)
            return optional - share if rule.startswith("-") else share
        number = int(rule)
        return optional + number if number < 0 else number

    spec = spec.strip()
    required = optional
    if "<" not in spec:
        required = apply(spec) if spec else optional
    else:
        for condition in spec.split():
            threshold, _, rule = condition.partition("<")
            if optional > int(threshold):
                required = apply(rule)
    return max(0, min(optional, required)) if optional else 0


def dismax(where: Sql, scorer: Sql, q: str, qf: str, mm: str) -> tuple[str, str]:
    """Free text: each term is matched in any ``qf`` field; ``mm`` of the optional terms must
    match. Returns the condition (params in ``where``) and the score (params in ``scorer``)."""
    weights = _weights(qf) or _weights(DEFAULT_QF)
    terms: dict[str, list[str]] = {"must": [], "should": [], "must_not": []}
    prefix = ""
    for kind, value in tokenize(q):
        if kind == "op" and value in "+-!":
            prefix = value
            continue
        if kind in ("word", "phrase") and value not in ("AND", "OR", "NOT"):
            text = value[1 : value.rindex('"')] if kind == "phrase" else _MODIFIER.sub("", value)
            occur = {"+": "must", "-": "must_not", "!": "must_not"}.get(prefix, "should")
            terms[occur].append(_unescape(text))
        prefix = ""

    def any_field(sql: Sql, text: str) -> str:
        return "(" + " OR ".join(sql.contains(name, text) for name, _ in weights) + ")"

    parts = [any_field(where, text) for text in terms["must"]]
    if terms["should"]:
        matched = " + ".join(f"{any_field(where, text)}::int" for text in terms["should"])
        parts.append(f"({matched}) >= {minimum_match(mm, len(terms['should']))}")
    parts += [f"NOT {any_field(where, text)}" for text in terms["must_not"]]
    score = [
        f"({scorer.contains(name, text)})::int * {weight}"
        for text in terms["must"] + terms["should"]
        for name, weight in weights
    ]
    return " AND ".join(parts) or "TRUE", "(" + " + ".join(score) + ")" if score else "0"


# --- the connection ------------------------------------------------------------------------

_schema_ready: set[int] = set()


def _flatten(value: Any) -> Iterable[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple | set):
        return [s for v in value for s in _flatten(v)]
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, dict):
        return [json.dumps(value, sort_keys=True, ensure_ascii=False)]
    return [str(value)]


def _sort_keys(sort: str) -> str:
    """Solr's ``sort`` (``score desc, metadata_modified desc``) as ORDER BY; equal keys keep
    index order, as in Solr."""
    keys = []
    for spec in filter(None, (s.strip() for s in sort.split(","))):
        parts = spec.split()
        if len(parts) != 2 or parts[1].lower() not in ("asc", "desc"):
            raise pysolr.SolrError(
                f"Can't determine a Sort Order (asc or desc) in sort spec {spec!r}"
            )
        name, direction = parts[0], parts[1].upper()
        if not re.fullmatch(r"[A-Za-z0-9_.]+", name):
            raise pysolr.SolrError(f"sort param field can't be found: {name}")
        if name == "score":
            keys.append(f"score {direction}")
            continue
        # from the value rows (indexed), not the JSON document: sorting must not detoast it
        values = f"FROM {VALUE_TABLE} v WHERE v.index_id = d.index_id AND v.field = {_quote(name)}"
        keys.append(
            f"(SELECT min(CASE WHEN v.value ~ '{_NUMBER}' THEN v.value::numeric END) {values}) "
            f"{direction} NULLS LAST, (SELECT min(v.value) {values}) {direction} NULLS LAST"
        )
    keys.append("d.seq ASC")
    return ", ".join(keys)


def _quote(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


class PgSolr:
    """What CKAN uses of ``pysolr.Solr``, on CKAN's own PostgreSQL database."""

    def __init__(self, url: str = "postgresql://ckan", engine: Any = None) -> None:
        self.url = url
        self._engine = engine

    @property
    def engine(self) -> Any:
        if self._engine is None:
            from ckan.model import meta

            if meta.engine is None:
                raise pysolr.SolrError("Connection to server failed: CKAN's database is not set up")
            self._engine = meta.engine
        if id(self._engine) not in _schema_ready:
            self._run(lambda cur: cur.execute(_SCHEMA))
            _schema_ready.add(id(self._engine))
        return self._engine

    def _run(self, work: Any) -> Any:
        engine = self._engine if self._engine is not None else self.engine
        connection = engine.raw_connection()
        try:
            with connection.cursor() as cursor:
                result = work(cursor)
            connection.commit()
            return result
        except Exception:
            connection.rollback()
            raise
        finally:
            connection.close()

    # -- writing --

    def add(self, docs: list[dict[str, Any]], commit: bool = True, **_: Any) -> str:
        def write(cursor: Any) -> None:
            for doc in docs:
                index_id = str(doc.get("index_id") or doc["id"])
                body = "\n".join(
                    s
                    for key, value in doc.items()
                    if key in BODY_FIELDS or key.startswith("extras_")
                    for s in _flatten(value)
                ).lower()
                cursor.execute(
                    f"INSERT INTO {DOC_TABLE} (index_id, seq, doc, body) "
                    "VALUES (%s, nextval('govlake_search_seq'), %s, %s) ON CONFLICT (index_id) "
                    "DO UPDATE SET seq = EXCLUDED.seq, doc = EXCLUDED.doc, body = EXCLUDED.body",
                    (index_id, json.dumps(doc, default=str, ensure_ascii=False), body),
                )
                cursor.execute(f"DELETE FROM {VALUE_TABLE} WHERE index_id = %s", (index_id,))
                rows = {
                    (index_id, key, s)
                    for key, value in doc.items()
                    if key not in NOT_INDEXED
                    for s in _flatten(value)
                }
                if rows:
                    cursor.executemany(
                        f"INSERT INTO {VALUE_TABLE} (index_id, field, value) VALUES (%s, %s, %s)",
                        sorted(rows),
                    )

        self.engine  # noqa: B018 (creates the tables on first use)
        self._run(write)
        return ""

    def delete(self, id: str | None = None, q: str | None = None, **_: Any) -> str:
        sql = Sql()
        if id is not None:
            where = f"d.index_id = {sql.param(id)}"
        elif q is not None:
            where = sql.node(Parser(q).parse())
        else:
            raise ValueError("delete needs id or q")
        self.engine  # noqa: B018
        self._run(
            lambda cur: cur.execute(
                f"DELETE FROM {DOC_TABLE} WHERE index_id IN "
                f"(SELECT d.index_id FROM {DOC_TABLE} d WHERE {where})",
                sql.params,
            )
        )
        return ""

    def commit(self, **_: Any) -> str:
        """Every add and delete is its own committed transaction already."""
        return ""

    # -- reading --

    def search(self, q: str | None = None, **kwargs: Any) -> pysolr.Results:
        sql, scorer = Sql(kwargs.get("df") or "text"), Sql()
        q = (q or "*:*").strip()
        score = "0"
        if ":" not in q or kwargs.get("defType") == "edismax":
            qf, mm = kwargs.get("qf") or DEFAULT_QF, kwargs.get("mm") or DEFAULT_MM
            where, score = dismax(sql, scorer, q, qf, mm)
            conditions = [where]
        else:
            conditions = [sql.node(Parser(q).parse())]
        fq = kwargs.get("fq") or []
        for f in [fq] if isinstance(fq, str) else fq:
            if f and f.strip():
                conditions.append(sql.node(Parser(f).parse()))
        where = " AND ".join(conditions)
        where_params = sql.params
        rows = int(kwargs.get("rows", 10))
        start = int(kwargs.get("start", 0))
        order = _sort_keys(kwargs.get("sort") or "score desc")
        fl = {f for f in re.split(r"[\s,]+", str(kwargs.get("fl") or "*")) if f}
        facet_fields = kwargs.get("facet.field") or []
        if isinstance(facet_fields, str):
            facet_fields = [facet_fields]
        want_facets = str(kwargs.get("facet", "false")).lower() == "true" and facet_fields
        mincount = int(kwargs.get("facet.mincount", 0))
        limit = int(kwargs.get("facet.limit", 100))

        def read(cursor: Any) -> tuple[int, list[dict[str, Any]], dict[str, list[Any]]]:
            cursor.execute(f"SELECT count(*) FROM {DOC_TABLE} d WHERE {where}", where_params)
            hits = cursor.fetchone()[0]
            docs = []
            if rows > 0 and hits > start:
                cursor.execute(
                    f"SELECT d.doc, {score} AS score FROM {DOC_TABLE} d WHERE {where} "
                    f"ORDER BY {order} LIMIT %s OFFSET %s",
                    [*scorer.params, *where_params, rows, start],
                )
                for doc, doc_score in cursor.fetchall():
                    if "*" not in fl:
                        doc = {k: v for k, v in doc.items() if k in fl}
                    if "score" in fl:
                        doc["score"] = float(doc_score)
                    docs.append(doc)
            facets: dict[str, list[Any]] = {}
            if want_facets:
                cursor.execute(
                    # a document holds each (field, value) once, so count(*) counts documents
                    f"SELECT v.field, v.value, count(*) FROM {VALUE_TABLE} v "
                    f"WHERE v.field = ANY(%s) AND v.index_id IN "
                    f"(SELECT d.index_id FROM {DOC_TABLE} d WHERE {where}) GROUP BY 1, 2",
                    [list(facet_fields), *where_params],
                )
                counts: dict[str, dict[str, int]] = {f: {} for f in facet_fields}
                for name, value, count in cursor.fetchall():
                    counts[name][value] = count
                if mincount <= 0:
                    cursor.execute(
                        f"SELECT DISTINCT field, value FROM {VALUE_TABLE} WHERE field = ANY(%s)",
                        [list(facet_fields)],
                    )
                    for name, value in cursor.fetchall():
                        counts[name].setdefault(value, 0)
                for name, values in counts.items():
                    if limit > 0:
                        ordered = sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))
                    else:
                        ordered = sorted(values.items())
                    ordered = [kv for kv in ordered if kv[1] >= mincount]
                    if limit >= 0:
                        ordered = ordered[:limit]
                    facets[name] = [x for kv in ordered for x in kv]
            return hits, docs, facets

        self.engine  # noqa: B018
        hits, docs, facets = self._run(read)
        return pysolr.Results(
            {
                "response": {"numFound": hits, "start": start, "docs": docs},
                "facet_counts": {"facet_fields": facets},
            }
        )
