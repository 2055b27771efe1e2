"""The dbt files rendered from the register (one fact, one place).

``models/staging/_sources.yml`` lists every resource as a source table over its accepted-zone
Parquet, with each field's register type, format, sensitivity and base attribute in column
``meta``; the staging macros read that meta from dbt's graph, so no field list is typed twice.
``seeds/vocab.csv`` is the register's controlled vocabularies as one long table. Per resource:
a staging model, a current-rows model (restricted) and the analysts' current-rows table
(``resources.<id>``, no personal field); the 一数一源 conflict models.

None of these is in version control: ``govlake.transform.project`` renders them at build time
into the lake's own copy of the dbt project, so adding a resource to the register is all it takes
and a build never rewrites a tracked file.
"""

from __future__ import annotations

import csv
import io

import yaml

from govlake.catalogue.facts import COLUMNS as _FACTS
from govlake.catalogue.facts import RELATIVE_PATH as FACTS_PATH
from govlake.formats import DATE_FORMATS, MONTH_FORMATS
from govlake.register import FieldFormat, Register, Resource, Sensitivity

SOURCES_FILE = "models/staging/_sources.yml"
VOCAB_FILE = "seeds/vocab.csv"
RESOURCES_DIR = "models/resources"  # the analysts' current rows, one table per resource

# struct_pack, not a {...} literal: the location is rendered by Jinja and then str.format
FACTS_COLUMNS = ", ".join(f"{name} := '{kind}'" for name, kind in _FACTS.items())

HEADER = (
    "# GENERATED at build time by govlake.transform.sources from catalog/ (the register).\n"
    "# Not in version control: change the register, not this file.\n"
)

# Which identifier keys an entity of a base database (基础库).
ENTITY_KEY_FORMATS = {"person": FieldFormat.citizen_id, "legal_entity": FieldFormat.credit_code}
AUDIT_COLUMNS = {
    "_batch_id": ("string", "batch that delivered the row"),
    "_source_file": ("string", "landing file the row came from"),
    "_source_row": ("integer", "1-based data row in the landing file"),
    "_ingested_at": ("timestamp", "when ingest wrote the raw batch (UTC)"),
    "batch_date": ("date", "landing date of the batch (hive partition)"),
}
PERSONAL = frozenset({Sensitivity.personal, Sensitivity.secret})


def _yaml(data: dict) -> str:
    """YAML as committed; libyaml's emitter when present (build() renders on every run, and the
    pure-Python emitter takes ~0.2 s of a small incremental build)."""
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(data, Dumper=dumper, allow_unicode=True, sort_keys=False, width=100)


def source_name(resource: Resource) -> str:
    """dbt source name = the providing department's id."""
    return resource.department


def plural(word: str) -> str:
    if word.endswith("s"):
        return word
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def staging_model(resource: Resource) -> str:
    """``stg_<department>__<resource>s``: dbt's naming, one staging model per resource."""
    return f"stg_{resource.department}__{plural(resource.id)}"


def entity_key(resource: Resource) -> tuple[str, str] | None:
    """(entity, staged key column) of the base-database entity a resource describes, if any."""
    entities = {f.base_attribute.split(".")[0] for f in resource.fields if f.base_attribute}
    for entity in sorted(entities):
        fmt = ENTITY_KEY_FORMATS.get(entity)
        for f in resource.key_fields:
            if f.format is fmt:
                return entity, f.pseudonym_column if f.pseudonymised else f.name
    return None


def staged_key_columns(resource: Resource) -> list[str]:
    """Key columns after staging (pseudonymised keys become their ``_key`` column)."""
    return [f.pseudonym_column if f.pseudonymised else f.name for f in resource.key_fields]


def _column_meta(resource: Resource, register: Register) -> list[dict]:
    columns: list[dict] = []
    for f in resource.fields:
        meta: dict = {
            "label": f.label,
            "type": f.type.value,
            "sensitivity": f.sensitivity.value,
            "nullable": f.nullable,
            "key": f.key,
        }
        if f.format:
            meta["format"] = f.format.value
        if f.type.value == "date":
            meta["formats"] = list(DATE_FORMATS)
        if f.type.value == "month":
            meta["formats"] = list(MONTH_FORMATS)
        if f.format is FieldFormat.period:
            meta["formats"] = list(MONTH_FORMATS)
        if f.allowed:
            meta["allowed"] = f.allowed[0] if f.allowed[0].startswith("vocab:") else f.allowed
        if f.pseudonymised:
            meta["pseudonym_column"] = f.pseudonym_column
        if f.base_attribute:
            meta["base_attribute"] = f.base_attribute
            meta["authoritative"] = f.authoritative
        columns.append({"name": f.name, "description": f"{f.label}: {f.description}", "meta": meta})
    for f in resource.fields:
        if f.pseudonymised:
            columns.append(
                {
                    "name": f.pseudonym_column,
                    "description": f"keyed pseudonym (HMAC-SHA256) of {f.name} ({f.label})",
                    "meta": {"type": "pseudonym", "of": f.name, "sensitivity": "internal"},
                }
            )
    for name, (kind, text) in AUDIT_COLUMNS.items():
        columns.append({"name": name, "description": text, "meta": {"type": kind, "audit": True}})
    return columns


def _table(resource: Resource, register: Register) -> dict:
    ent = entity_key(resource)
    meta: dict = {
        "resource_code": resource.resource_code,
        "name_zh": resource.name,
        "staging_model": staging_model(resource),
        "key_columns": staged_key_columns(resource),
        "is_open": resource.is_open,
        "classified": resource.classified,
        "share_type": resource.share_type.value,
        "update_cycle": resource.update_cycle.value,
    }
    if resource.base_database:
        meta["base_database"] = resource.base_database
    if resource.theme:
        meta["theme"] = resource.theme
    if ent:
        meta["entity"], meta["entity_key"] = ent
    return {
        "name": resource.id,
        "description": f"{resource.name} ({resource.name_en}): {resource.abstract}",
        "meta": meta,
        "columns": _column_meta(resource, register),
    }


def render_sources(register: Register) -> str:
    """The sources YAML text for ``register``."""
    sources = []
    for dept in sorted(register.departments.values(), key=lambda d: d.id):
        sources.append(
            {
                "name": dept.id,
                "description": f"{dept.name} ({dept.name_en}), 提供方代码 {dept.code}: "
                "batches that passed the quality gate (accepted zone, minus quarantined rows)",
                "meta": {
                    "department_name": dept.name,
                    "department_code": dept.code,
                    # dbt-duckdb formats this per table ({name} = the resource id)
                    "external_location": 'read_parquet(\'{{ env_var("GOVLAKE_LAKE_ROOT") }}'
                    "/accepted/{name}/*/*.parquet', hive_partitioning = true, "
                    "union_by_name = true)",
                    # the rows the gate quarantined from those parts (govlake_source applies it)
                    "deletes_location": 'read_parquet(\'{{ env_var("GOVLAKE_LAKE_ROOT") }}'
                    "/accepted/{name}/_deletes/*/*.parquet', union_by_name = true)",
                },
                "tables": [_table(r, register) for r in sorted(dept.resources, key=lambda r: r.id)],
            }
        )
    sources.append(
        {
            "name": "lake",
            "description": "what the lake knows about each resource (written by the build)",
            "tables": [
                {
                    "name": "resource_facts",
                    "description": "files, batches, rows, last delivery and quality score per "
                    "register resource, from the manifest and the quality results "
                    "(govlake.catalogue.facts)",
                    "meta": {
                        "external_location": 'read_json(\'{{ env_var("GOVLAKE_LAKE_ROOT") }}'
                        f"/{FACTS_PATH}', columns = struct_pack({FACTS_COLUMNS}))"
                    },
                }
            ],
        }
    )
    sources.append(
        {
            "name": "reference",
            "description": "reference tables kept beside the register (catalog/reference)",
            "meta": {
                "external_location": 'read_csv(\'{{ env_var("GOVLAKE_REGISTER_DIR") }}'
                "/reference/{name}.tsv', delim = '\\t', header = true, all_varchar = true)"
            },
            "tables": [
                {
                    "name": "gb2260_division_codes",
                    "description": "every GB/T 2260 division code of the 1980-2019 revisions",
                    "columns": [
                        {"name": "code", "description": "6-digit division code"},
                        {"name": "name", "description": "division name"},
                        {"name": "first_revision", "description": "first revision (YYYYMM)"},
                        {"name": "last_revision", "description": "last revision (YYYYMM)"},
                    ],
                }
            ],
        }
    )
    body = _yaml({"version": 2, "sources": sources})
    return HEADER + body


def render_vocab(register: Register) -> str:
    """``vocab,code,label`` rows of every controlled vocabulary (codes as text)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["vocab", "code", "label"])
    for name in sorted(register.vocab):
        for code, label in register.vocab[name].items():
            writer.writerow([name, str(code), str(label)])
    return out.getvalue()


def staged_columns(resource: Resource) -> list[tuple[str, str]]:
    """(column, description) of a staging model: what ``govlake_staged_columns`` emits."""
    out: list[tuple[str, str]] = []
    for f in resource.fields:
        text = f"{f.label}: {f.description}"
        if f.format is FieldFormat.citizen_id:
            out.append((f"is_valid_{f.name}", f"{f.label} passes the GB 11643 checks"))
        elif f.format is FieldFormat.phone:
            continue
        elif f.format is FieldFormat.credit_code:
            out.append((f.name, f"{text} (normalised)"))
            out.append((f"is_valid_{f.name}", f"{f.label} passes the GB 32100 checks"))
        else:
            out.append((f.name, text))
    for f in resource.fields:
        if f.pseudonymised:
            out.append((f.pseudonym_column, f"keyed pseudonym (HMAC-SHA256) of {f.label}"))
    out += [(name, text) for name, (_, text) in AUDIT_COLUMNS.items()]
    return out


def current_model(resource: Resource) -> str:
    """``int_<department>__<resource>s_current``: the latest row per key over all batches."""
    return f"int_{resource.department}__{plural(resource.id)}_current"


def _key_filter(resource: Resource) -> list[str]:
    conds = []
    for f in resource.key_fields:
        col = f.pseudonym_column if f.pseudonymised else f.name
        conds.append(f"{col} is not null")
        if f.format in (FieldFormat.citizen_id, FieldFormat.credit_code):
            conds.append(f"is_valid_{f.name}")
    return conds


def render_staging_sql(resource: Resource) -> str:
    args = f"'{resource.department}', '{resource.id}'"
    return (
        f"-- GENERATED from the register (resource {resource.id}); cleaning from column meta\n"
        "with\n\n"
        "source as (\n\n"
        f"    {{{{ govlake_source({args}) }}}}\n\n"
        "),\n\n"
        "normalised as (\n\n"
        "    select\n"
        "        *,\n"
        f"        {{{{ govlake_normalised_identifiers({args}) }}}}\n"
        "    from source\n\n"
        "),\n\n"
        "renamed as (\n\n"
        "    select\n"
        f"        {{{{ govlake_staged_columns({args}) }}}}\n"
        "    from normalised\n\n"
        ")\n\n"
        "select * from renamed\n"
    )


def history_model(resource: Resource) -> str:
    """``int_<department>__<resource>s_history``: every key ever delivered, with its dates."""
    return f"int_{resource.department}__{plural(resource.id)}_history"


HISTORY_COLUMNS = {
    "valid_from": "date of the first batch that delivered the key",
    "last_delivered": "date of the newest batch that delivered the key",
    "valid_to": "date the key left (a delete, or the first later snapshot without it); "
    "null while current",
    "ended_by_batch_id": "the batch that ended the key (null while current)",
}


def render_history_sql(resource: Resource, register: Register) -> str:
    """One call per model: the logic lives in the ``govlake_history_rows`` macro; the
    delivery kind, operation column and the words that delete come from the register."""
    keys = staged_key_columns(resource)
    order = [
        *(f"{name} desc nulls last" for name in resource.latest_by),
        "batch_date desc", "_ingested_at desc", "_source_row desc",
    ]  # fmt: skip
    op = resource.delivery.operation
    deletes = register.operation_words("delete") if op else []
    return (
        f"-- GENERATED from the register (resource {resource.id}, delivery kind "
        f"{resource.delivery.kind.value}): every key with its latest valid row and dates\n"
        f"{{{{ config(unique_key={keys!r}) }}}}\n\n"
        f"{{{{ govlake_history_rows(\n    {staging_model(resource)!r},\n"
        f"    resource={resource.id!r},\n    keys={keys!r},\n"
        f"    conditions={list(_key_filter(resource))!r},\n    order={order!r},\n"
        f"    kind={resource.delivery.kind.value!r},\n    operation={op!r},\n"
        f"    deletes={deletes!r},\n) }}}}\n"
    ).replace("operation=None", "operation=none")


def render_current_sql(resource: Resource) -> str:
    """A view: the history's keys that have not left."""
    hidden = ", ".join(HISTORY_COLUMNS)
    return (
        f"-- GENERATED from the register (resource {resource.id}): the current row per key\n"
        "{{ config(materialized='view') }}\n\n"
        f"select * exclude ({hidden})\n"
        f"from {{{{ ref({history_model(resource)!r}) }}}}\n"
        "where valid_to is null\n"
    )


def _models_yaml(models: list[dict]) -> str:
    body = _yaml({"version": 2, "models": models})
    return HEADER + body


def render_staging_yaml(resources: list[Resource]) -> str:
    models = []
    for r in resources:
        columns = [{"name": n, "description": d} for n, d in staged_columns(r)]
        for c in columns:
            if c["name"] == "_batch_id":
                c["data_tests"] = ["not_null"]
        models.append(
            {
                "name": staging_model(r),
                "description": f"{r.name}: every accepted row of every batch, cleaned (trimmed, "
                "full-width → half-width, dates and codes parsed); pseudonymous keys only.",
                "meta": {"resource": r.id, "resource_code": r.resource_code},
                "columns": columns,
            }
        )
    return _models_yaml(models)


def render_current_yaml(register: Register) -> str:
    """History and current models; the key tests run on the history (current is its view)."""
    models = []
    for r in sorted(register.resources.values(), key=lambda r: r.id):
        keys = staged_key_columns(r)
        columns = [{"name": n, "description": d} for n, d in staged_columns(r)]
        history = [dict(c) for c in columns] + [
            {"name": n, "description": d} for n, d in HISTORY_COLUMNS.items()
        ]
        for c in history:
            if c["name"] in keys:
                c["data_tests"] = ["not_null"]
        if len(keys) == 1:
            next(c for c in history if c["name"] == keys[0])["data_tests"].append("unique")
        kind = r.delivery.kind.value
        model: dict = {
            "name": history_model(r),
            "description": f"{r.name}: every key ({', '.join(keys)}) ever delivered, its latest "
            f"valid row and when it was valid; delivery kind {kind}. Incremental: only new "
            "batches are read.",
            "meta": {"resource": r.id, "delivery_kind": kind},
            "columns": history,
        }
        if len(keys) > 1:
            model["data_tests"] = [{"govlake_unique_combination": {"arguments": {"columns": keys}}}]
        models.append(model)
        models.append(
            {
                "name": current_model(r),
                "description": f"{r.name}: the current (latest delivered) valid row per key "
                f"({', '.join(keys)}) of the keys that have not left (view of "
                f"{history_model(r)}).",
                "meta": {"resource": r.id},
                "columns": columns,
            }
        )
    return _models_yaml(models)


def conflict_pairs(register: Register) -> list[dict]:
    """Every (attribute, authoritative source, other source) the 一数一源 check compares."""
    auth = register.authorities()
    pairs = []
    for r in sorted(register.resources.values(), key=lambda r: r.id):
        ent = entity_key(r)
        for f in r.fields:
            if not f.base_attribute or f.authoritative or ent is None:
                continue
            a_rid, a_field = auth[f.base_attribute]
            a_res = register.resource(a_rid)
            a_ent = entity_key(a_res)
            if a_ent is None or a_ent[0] != ent[0]:
                continue
            pairs.append(
                {"attribute": f.base_attribute, "entity": ent[0],
                 "auth": a_res, "auth_field": a_field.name, "auth_key": a_ent[1],
                 "other": r, "other_field": f.name, "other_key": ent[1]}
            )  # fmt: skip
    return pairs


def render_conflicts_sql(register: Register) -> str:
    """One ``govlake_conflict_rows`` call per (base attribute, non-authoritative field)."""
    parts = []
    for p in conflict_pairs(register):
        a, o = p["auth"], p["other"]
        auth = {"department": a.department, "resource": a.id, "model": current_model(a),
                "key": p["auth_key"], "field": p["auth_field"]}  # fmt: skip
        other = {"department": o.department, "resource": o.id, "model": current_model(o),
                 "key": p["other_key"], "field": p["other_field"]}  # fmt: skip
        parts.append(
            f"    {{{{ govlake_conflict_rows(\n        {p['attribute']!r}, {p['entity']!r},\n"
            f"        auth={auth!r},\n        other={other!r},\n    ) }}}}"
        )
    body = "\n\n    union all\n\n".join(parts)
    inputs = sorted(
        {(history_model(p[side]), p[f"{side}_key"]) for p in conflict_pairs(register)
         for side in ("auth", "other")}
    )  # fmt: skip
    models = [list(i) for i in inputs]
    return (
        "-- GENERATED from the register (base_attribute / authoritative): 一数一源 conflicts.\n"
        "-- One row per entity whose value from a non-authoritative department differs from the\n"
        "-- authoritative department's current value (both present). Restricted: values may be\n"
        "-- personal; analysts see conflict_counts. Incremental: a run compares again only the\n"
        "-- entities whose current rows changed (the pre-hook first forgets their rows).\n"
        f"{{%- set compared_models = {models!r} -%}}\n"
        "{{ config(\n"
        "    materialized='incremental',\n"
        "    incremental_strategy='append',\n"
        '    pre_hook="{{ govlake_forget_changed_conflicts(" ~ compared_models ~ ") }}",\n'
        ") }}\n"
        "{% for model, _ in compared_models %}-- depends_on: {{ ref(model) }}\n{% endfor %}\n"
        "with\n"
        "{% if is_incremental() %}\n\n"
        "changed_keys as (\n{{ govlake_changed_entities(compared_models) }}\n),\n"
        "{% endif %}\n\n"
        "compared as (\n\n" + body + "\n\n)\n\nselect * from compared\n"
    )


def render_conflict_counts_sql(register: Register) -> str:
    rows = ",\n        ".join(
        f"('{p['attribute']}', '{p['auth'].department}', '{p['other'].department}', "
        f"'{p['other'].id}', '{p['other_field']}')"
        for p in conflict_pairs(register)
    )
    return (
        "-- GENERATED from the register: conflicts per attribute and department pair, including\n"
        "-- the pairs that agree (0), for the catalogue and the analysts (no keys, no values).\n"
        "{{ config(database=target.database) }}\n\n"
        "with\n\n"
        "compared_pairs as (\n\n"
        "    select * from (values\n"
        f"        {rows}\n"
        "    ) as t (base_attribute, authoritative_department, other_department, other_resource,\n"
        "            other_field)\n\n"
        "),\n\n"
        "conflicts as (\n\n"
        "    select * from {{ ref('conflicts') }}\n\n"
        "),\n\n"
        "final as (\n\n"
        "    select\n"
        "        compared_pairs.base_attribute,\n"
        "        compared_pairs.authoritative_department,\n"
        "        compared_pairs.other_department,\n"
        "        compared_pairs.other_resource,\n"
        "        compared_pairs.other_field,\n"
        "        count(conflicts.entity_key) as conflicts,\n"
        "        count(distinct conflicts.entity_key) as entities,\n"
        "        max(conflicts.batch_date) as latest_batch_date,\n"
        "    from compared_pairs\n"
        "    left join conflicts\n"
        "        on conflicts.base_attribute = compared_pairs.base_attribute\n"
        "        and conflicts.other_resource = compared_pairs.other_resource\n"
        "        and conflicts.other_field = compared_pairs.other_field\n"
        "    group by all\n\n"
        ")\n\n"
        "select * from final\n"
    )


def analyst_resources(register: Register) -> list[Resource]:
    """Resources with a current-rows table for analysts: all but the classified (涉密) ones,
    which never leave the restricted zone."""
    return sorted((r for r in register.resources.values() if not r.classified), key=lambda r: r.id)


def analyst_columns(resource: Resource) -> list[tuple[str, str]]:
    """(column, description) of ``resources.<id>``: the staged columns minus personal and secret
    fields, identifiers that are only kept as pseudonyms, and the pseudonyms themselves."""
    hidden = {f.name for f in resource.fields if f.sensitivity in PERSONAL or f.pseudonymised}
    hidden |= {f"is_valid_{name}" for name in hidden}
    hidden |= {f.pseudonym_column for f in resource.fields if f.pseudonymised}
    return [(name, text) for name, text in staged_columns(resource) if name not in hidden]


def analyst_model(resource: Resource) -> str:
    """dbt model name of ``resources.<id>`` (the table itself is aliased to the resource id;
    a resource id may equal a product's name, e.g. thematic.tourism_monthly)."""
    return f"resources__{resource.id}"


def render_resource_sql(resource: Resource) -> str:
    """Incremental: an incremental build rewrites only the rows its new batches changed
    (``govlake_forget_replaced_rows``), not the whole table."""
    columns = ",\n".join(f"        {name}" for name, _ in analyst_columns(resource))
    current = current_model(resource)
    return (
        f"-- GENERATED from the register (resource {resource.id}): its current rows for analysts,\n"
        "-- without personal fields or pseudonyms (those stay in the restricted zone).\n"
        "{{ config(\n"
        f"    alias={resource.id!r},\n"
        f'    pre_hook="{{{{ govlake_forget_replaced_rows({current!r}) }}}}",\n'
        ") }}\n\n"
        "with\n\n"
        "current_rows as (\n\n"
        f"    select * from {{{{ ref({current!r}) }}}}\n"
        "    {% if is_incremental() %}where {{ govlake_changed_rows_filter() }}{% endif %}\n\n"
        "),\n\n"
        "final as (\n\n"
        "    select\n"
        f"{columns},\n"
        "    from current_rows\n\n"
        ")\n\n"
        "select * from final\n"
    )


def render_resources_yaml(resources: list[Resource]) -> str:
    models = []
    for r in resources:
        keys = set(staged_key_columns(r))
        columns = []
        for name, text in analyst_columns(r):
            column: dict = {"name": name, "description": text}
            if name in keys:
                column["data_tests"] = ["not_null"]
            columns.append(column)
        models.append(
            {
                "name": analyst_model(r),
                "description": f"{r.name} ({r.name_en}), 提供方 {r.department}: the current "
                "(latest delivered) valid row per key, for analysts; personal fields and "
                "pseudonyms are left out.",
                "meta": {"resource": r.id, "resource_code": r.resource_code},
                "columns": columns,
            }
        )
    return _models_yaml(models)


def rendered(register: Register) -> dict[str, str]:
    """Every dbt file derived from the register: path relative to the project → text."""
    out = {SOURCES_FILE: render_sources(register), VOCAB_FILE: render_vocab(register)}
    for dept in register.departments.values():
        folder = f"models/staging/{dept.id}"
        resources = sorted(dept.resources, key=lambda r: r.id)
        out[f"{folder}/_{dept.id}__models.yml"] = render_staging_yaml(resources)
        for r in resources:
            out[f"{folder}/{staging_model(r)}.sql"] = render_staging_sql(r)
    for r in register.resources.values():
        out[f"models/intermediate/{history_model(r)}.sql"] = render_history_sql(r, register)
        out[f"models/intermediate/{current_model(r)}.sql"] = render_current_sql(r)
    out["models/intermediate/_intermediate__models.yml"] = render_current_yaml(register)
    out["models/conflicts/conflicts.sql"] = render_conflicts_sql(register)
    out["models/conflicts/conflict_counts.sql"] = render_conflict_counts_sql(register)
    analysts = analyst_resources(register)
    for r in analysts:
        out[f"{RESOURCES_DIR}/{analyst_model(r)}.sql"] = render_resource_sql(r)
    out[f"{RESOURCES_DIR}/_resources__models.yml"] = render_resources_yaml(analysts)
    return out


def personal_fields(register: Register) -> dict[str, set[str]]:
    """resource id → its fields of personal or secret sensitivity (never in open models)."""
    return {
        r.id: {f.name for f in r.fields if f.sensitivity in PERSONAL}
        for r in register.resources.values()
    }
