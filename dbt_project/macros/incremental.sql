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

{#- Which rows of a history model this run changed: a new row for the key, or the key ended by a
    new batch (a delete, or a new snapshot without it). Incremental base models and the conflict
    report recompute exactly these keys. -#}
{% macro govlake_changed_keys_filter() -%}
    {%- set batches = govlake_new_batches() -%}
    {%- if batches is none -%}
        true
    {%- else -%}
        ({{ govlake_batch_filter(batches) }} or {{ govlake_batch_filter(batches) | replace('_batch_id in', 'ended_by_batch_id in') }})
    {%- endif -%}
{%- endmacro %}

{#- The snapshots of a resource, one row per delivery date (batch_date, the first batch id of
    that date, whether it is new in this run), from GOVLAKE_DBT_SNAPSHOTS (the accepted zone's
    file list, set by govlake.transform.build); by hand, from the staged rows. -#}
{% macro govlake_snapshots(resource, staging_model) -%}
    {#- read at execution only: an env var read while parsing would make every run re-parse -#}
    {%- set known = fromjson(env_var('GOVLAKE_DBT_SNAPSHOTS', 'null')) if execute else none -%}
    {%- if known is none -%}
        select batch_date, min(_batch_id) as batch_id,
            {% if is_incremental() %}bool_or({{ govlake_new_rows_filter() }}){% else %}false{% endif %} as is_new
        from {{ ref(staging_model) }} group by all
    {%- else -%}
        {%- set rows = known.get(resource, []) -%}
        {%- if rows | length == 0 -%}
        select null::date as batch_date, null::varchar as batch_id, false as is_new where false
        {%- else -%}
        select * from (values
            {%- for d, b, n in rows %}
            (date '{{ d }}', '{{ b | replace("'", "''") }}', {{ 'true' if n else 'false' }}){% if not loop.last %},{% endif %}
            {%- endfor %}
        ) as snapshots (batch_date, batch_id, is_new)
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- One row per key ever delivered of one resource (intermediate *_history models): its latest
    row, valid_from (first delivered), last_delivered, and valid_to / ended_by_batch_id when the
    key has left: a delta's latest row is a delete (操作类型 注销 …), or a snapshot dated after its
    last delivery lacks it (the first such snapshot ends it). Incremental runs read only the new
    batches plus the stored rows of the keys they deliver; for a snapshot also the stored keys
    a new snapshot date can end (live ones, and ended ones a late snapshot may end earlier). -#}
{% macro govlake_history_rows(staging_model, resource, keys, conditions, order, kind, operation=none, deletes=[]) -%}
{%- set match -%}
{% for k in keys %}delivered.{{ k }} = history.{{ k }}{% if not loop.last %} and {% endif %}{% endfor %}
{%- endset -%}
with

new_rows as (

    select * from {{ ref(staging_model) }}
    where {{ conditions | join('\n      and ') }}
    {% if is_incremental() %}
      and {{ govlake_new_rows_filter() }}
    {% endif %}

),
{% if kind == 'snapshot' %}

snapshots as (

    {{ govlake_snapshots(resource, staging_model) }}

),
{% endif %}
{% if is_incremental() %}

delivered as (

    select distinct {{ keys | join(', ') }} from new_rows

),

stored as (

    select * from {{ this }} as history
    where exists (select 1 from delivered where {{ match }})
    {%- if kind == 'snapshot' %}
       or (
           history.last_delivered < (select max(batch_date) from snapshots where is_new)
           and (history.valid_to is null
                or history.valid_to >= (select min(batch_date) from snapshots where is_new))
       )
    {%- endif %}

),
{% endif %}

{#- new_rows is read once on a full build (a CTE read twice is materialised: every staged row
    held in memory); first and last delivery come from window aggregates over the same keys -#}
candidates as (

    select *, batch_date as _seen_from, batch_date as _seen_to from new_rows
    {% if is_incremental() %}
    union all by name
    select
        * exclude (valid_from, last_delivered, valid_to, ended_by_batch_id),
        valid_from as _seen_from,
        last_delivered as _seen_to,
    from stored
    {% endif %}

),

latest as (

    select
        * exclude (_seen_from, _seen_to),
        min(_seen_from) over same_key as valid_from,
        max(_seen_to) over same_key as last_delivered,
    from candidates
    window same_key as (partition by {{ keys | join(', ') }})
    qualify row_number() over (partition by {{ keys | join(', ') }} order by {{ order | join(', ') }}) = 1

),

final as (

    select
        latest.*,
    {%- if kind == 'snapshot' %}
        ended.batch_date as valid_to,
        ended.batch_id as ended_by_batch_id,
    {%- elif deletes | length > 0 %}
        {%- set deleted -%}
            latest.{{ operation }} in ({% for w in deletes %}'{{ w | replace("'", "''") }}'{% if not loop.last %}, {% endif %}{% endfor %})
        {%- endset %}
        case when {{ deleted }} then latest.batch_date end as valid_to,
        case when {{ deleted }} then latest._batch_id end as ended_by_batch_id,
    {%- else %}
        cast(null as date) as valid_to,
        cast(null as varchar) as ended_by_batch_id,
    {%- endif %}
    from latest
    {%- if kind == 'snapshot' %}
    asof left join snapshots as ended on latest.last_delivered < ended.batch_date
    {%- endif %}

)

select * from final
{%- endmacro %}
