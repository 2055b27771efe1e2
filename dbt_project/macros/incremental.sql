{#- Run parameters come as environment variables, not --vars: dbt re-parses the whole project
    whenever --vars change (~5 s), while env vars read only at execution keep partial parsing. -#}
{% macro govlake_empty_sources() -%}
    {{- return(fromjson(env_var('GOVLAKE_DBT_EMPTY_SOURCES', '[]'))) -}}
{%- endmacro %}

{#- Resources with at least one deletion vector in the accepted zone (parts written before
    the gate kept them, and test fixtures, have none: nothing to subtract). -#}
{% macro govlake_sources_with_deletes() -%}
    {{- return(fromjson(env_var('GOVLAKE_DBT_DELETES', '[]'))) -}}
{%- endmacro %}

{#- The batch ids that arrived since the warehouse was built (GOVLAKE_DBT_NEW_BATCHES, set by
    govlake.transform.build from the accepted zone), or none when dbt runs without it. -#}
{% macro govlake_new_batches() -%}
    {{- return(fromjson(env_var('GOVLAKE_DBT_NEW_BATCHES', 'null'))) -}}
{%- endmacro %}

{% macro govlake_batch_filter(batches) -%}
    {%- if batches | length == 0 -%}
        false
    {%- else -%}
        _batch_id in ({% for b in batches %}'{{ b | replace("'", "''") }}'{% if not loop.last %}, {% endif %}{% endfor %})
    {%- endif -%}
{%- endmacro %}

{#- Which staged rows an incremental model reads: the new batches, or, when dbt runs without
    them, rows ingested after the newest one already in the model. -#}
{% macro govlake_new_rows_filter() -%}
    {%- set batches = govlake_new_batches() -%}
    {%- if batches is none -%}
        _ingested_at > (
            select coalesce(max(_ingested_at), timestamptz '1900-01-01 00:00:00+00') from {{ this }}
        )
    {%- else -%}
        {{ govlake_batch_filter(batches) }}
    {%- endif -%}
{%- endmacro %}

{#- Which rows of an intermediate model this run changed (incremental base models recompute only
    their keys). An intermediate row keeps its old _batch_id when the stored row still wins, so
    the new batches' rows are exactly the changed ones. Without GOVLAKE_DBT_NEW_BATCHES (dbt run
    by hand) every row counts as changed: slower, never wrong. -#}
{% macro govlake_changed_rows_filter() -%}
    {%- set batches = govlake_new_batches() -%}
    {%- if batches is none -%}
        true
    {%- else -%}
        {{ govlake_batch_filter(batches) }}
    {%- endif -%}
{%- endmacro %}

{#- The analysts' per-resource tables (resources/) on incremental runs: forget the rows that left
    the resource's current rows (a newer delivery replaced them) and those this run writes again;
    the model then appends the changed current rows. Rows are matched by (_batch_id, _source_row):
    the analysts' tables carry no key of a person. -#}
{% macro govlake_forget_replaced_rows(current_model) -%}
    {%- if is_incremental() -%}
    delete from {{ this }} as stored
    where {{ govlake_changed_rows_filter() }}
        or not exists (
            select 1
            from {{ ref(current_model) }} as kept
            where kept._batch_id = stored._batch_id and kept._source_row = stored._source_row
        )
    {%- endif -%}
{%- endmacro %}

{#- schema names as configured (staging, base, open, ...), not dbt's <target>_<custom> -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{- custom_schema_name if custom_schema_name else target.schema -}}
{%- endmacro %}

{#- The current row per key of one resource (intermediate models): new valid staged rows, plus
    on incremental runs the stored rows with the same keys, latest delivery wins. -#}
{% macro govlake_current_rows(staging_model, keys, conditions, order) -%}
with

new_rows as (

    select * from {{ ref(staging_model) }}
    where {{ conditions | join('\n      and ') }}
    {% if is_incremental() %}
      and {{ govlake_new_rows_filter() }}
    {% endif %}

),

candidates as (

    select * from new_rows
    {% if is_incremental() %}
    union all by name
    select * from {{ this }} as current_rows
    where exists (
        select 1 from new_rows
        where {% for k in keys %}new_rows.{{ k }} = current_rows.{{ k }}{% if not loop.last %} and {% endif %}{% endfor %}
    )
    {% endif %}

)

select * from candidates
qualify row_number() over (partition by {{ keys | join(', ') }} order by {{ order | join(', ') }}) = 1
{%- endmacro %}
