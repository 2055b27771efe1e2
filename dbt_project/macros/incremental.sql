{#- Run parameters come as environment variables, not --vars: dbt re-parses the whole project
    whenever --vars change (~5 s), while env vars read only at execution keep partial parsing. -#}
{% macro govlake_empty_sources() -%}
    {{- return(fromjson(env_var('GOVLAKE_DBT_EMPTY_SOURCES', '[]'))) -}}
{%- endmacro %}

{#- Which staged rows an incremental model reads: the batches that arrived since the warehouse
    was built (GOVLAKE_DBT_NEW_BATCHES, set by govlake.transform.build from the accepted zone),
    or, when dbt runs without it, rows ingested after the newest one already in the model. -#}
{% macro govlake_new_rows_filter() -%}
    {%- set batches = fromjson(env_var('GOVLAKE_DBT_NEW_BATCHES', 'null')) -%}
    {%- if batches is none -%}
        _ingested_at > (
            select coalesce(max(_ingested_at), timestamptz '1900-01-01 00:00:00+00') from {{ this }}
        )
    {%- elif batches | length == 0 -%}
        false
    {%- else -%}
        _batch_id in ({% for b in batches %}'{{ b | replace("'", "''") }}'{% if not loop.last %}, {% endif %}{% endfor %})
    {%- endif -%}
{%- endmacro %}

{#- schema names as configured (staging, base, open, ...), not dbt's <target>_<custom> -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{- custom_schema_name if custom_schema_name else target.schema -}}
{%- endmacro %}
