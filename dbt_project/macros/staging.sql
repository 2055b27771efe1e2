{#- Staging is derived from the register: the column meta rendered into _sources.yml by
    govlake.transform.sources says each field's type and format, and these macros turn that into
    the cleaning SQL. A field is never listed by hand in a staging model. -#}

{% macro govlake_source_node(source_name, table_name) -%}
    {%- set node = graph.sources.get('source.govlake.' ~ source_name ~ '.' ~ table_name) -%}
    {%- if node is none -%}
        {{ exceptions.raise_compiler_error('no source ' ~ source_name ~ '.' ~ table_name ~ ' in _sources.yml: is it in the register (catalog/departments)?') }}
    {%- endif -%}
    {{- return(node) -}}
{%- endmacro %}

{#- raw keeps every register field as delivered text; only audit columns are typed -#}
{% macro govlake_raw_type(meta) -%}
    {%- set kind = meta.get('type') -%}
    {%- if kind == 'integer' and meta.get('audit') -%} bigint
    {%- elif kind == 'timestamp' -%} timestamp with time zone
    {%- elif kind == 'date' and meta.get('audit') -%} date
    {%- else -%} varchar
    {%- endif -%}
{%- endmacro %}

{#- the source relation minus the rows the gate quarantined (deletion vectors), or a typed
    empty relation when the accepted zone has no file yet (read_parquet fails on a glob that
    matches nothing); source() is called either way so the lineage stays in the graph -#}
{% macro govlake_source(source_name, table_name) -%}
    {%- set relation = source(source_name, table_name) -%}
    {#- the citizen-ID check looks division codes up here: declare the dependency at parse time -#}
    {%- set division_codes = source('reference', 'gb2260_division_codes') -%}
    {%- if execute and table_name in govlake_empty_sources() -%}
        {%- set node = govlake_source_node(source_name, table_name) -%}
        select
        {%- for name, column in node.columns.items() %}
            cast(null as {{ govlake_raw_type(column.meta) }}) as {{ adapter.quote(name) }},
        {%- endfor %}
        from (select 1) as nothing
        where false
    {%- elif execute and table_name in govlake_sources_with_deletes() -%}
        {#- an accepted part is the raw part; its deletion vector names the quarantined rows -#}
        {%- set node = govlake_source_node(source_name, table_name) -%}
        {%- set deletes = node.source_meta['deletes_location'] | replace('{name}', table_name) -%}
        select * from {{ relation }}
        anti join {{ deletes }} as deleted using (_batch_id, _source_row)
    {%- else -%}
        select * from {{ relation }}
    {%- endif -%}
{%- endmacro %}

{#- GB 11643: 17 digits + check (digit or X), a GB/T 2260 division, a real birth date, and the
    ISO 7064 MOD 11-2 check character; `expr` is already normalised -#}
{% macro govlake_is_valid_citizen_id(expr) -%}
    coalesce(
        regexp_full_match({{ expr }}, '[0-9]{17}[0-9X]')
        and substr({{ expr }}, 1, 6) in (
            select code from {{ source('reference', 'gb2260_division_codes') }}
        )
        and try_strptime(substr({{ expr }}, 7, 8), '%Y%m%d')
            between timestamp '1880-01-01' and current_date
        and substr(
            '10X98765432',
            cast((
                {%- for w in [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] %}
                {% if not loop.first %}+ {% endif %}(ascii(substr({{ expr }}, {{ loop.index }}, 1)) - 48) * {{ w }}
                {%- endfor %}
            ) % 11 as bigint) + 1,
            1
        ) = substr({{ expr }}, 18, 1),
        false
    )
{%- endmacro %}

{#- GB 32100: 18 characters of 0-9A-HJ-NPQRTUWXY, a 6-digit division part, mod-31 check -#}
{% macro govlake_is_valid_credit_code(expr) -%}
    coalesce(
        regexp_full_match({{ expr }}, '[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}')
        and substr(
            '0123456789ABCDEFGHJKLMNPQRTUWXY',
            cast((31 - (
                {%- for w in [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28] %}
                {% if not loop.first %}+ {% endif %}(strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr({{ expr }}, {{ loop.index }}, 1)) - 1) * {{ w }}
                {%- endfor %}
            ) % 31) % 31 as bigint) + 1,
            1
        ) = substr({{ expr }}, 18, 1),
        false
    )
{%- endmacro %}

{% macro govlake_strptime(expr, formats) -%}
    try_strptime({{ expr }}, [{% for f in formats %}'{{ f }}'{% if not loop.last %}, {% endif %}{% endfor %}])
{%- endmacro %}

{#- period: 2024 (year), 2024Q1 (quarter) or 2024-01 (month), whatever way it was written -#}
{% macro govlake_period(expr, formats) -%}
    case
        when regexp_full_match({{ expr }}, '[0-9]{4}年?') then left({{ expr }}, 4)
        when regexp_full_match({{ expr }}, '[0-9]{4}-?Q[1-4]')
            then left({{ expr }}, 4) || 'Q' || right({{ expr }}, 1)
        else strftime({{ govlake_strptime(expr, formats) }}, '%Y-%m')
    end
{%- endmacro %}

{#- identifiers normalised once (the checks read them ~20 times; DuckDB does not share repeated
    expressions across a CTE boundary otherwise) -#}
{% macro govlake_normalised_identifiers(source_name, table_name) -%}
    {%- if not execute -%}
        {{- return('') -}}
    {%- endif -%}
    {%- set node = govlake_source_node(source_name, table_name) -%}
    {%- for name, column in node.columns.items() -%}
        {%- if column.meta.get('format') in ('citizen_id', 'credit_code') %}
        {{ govlake_code(adapter.quote(name)) }} as {{ adapter.quote('__' ~ name) }},
        {%- endif -%}
    {%- endfor -%}
{%- endmacro %}

{#- one cleaned select item per register field, then the audit columns; the plain value of a
    pseudonymised field (citizen ID, phone) never leaves this model, only its _key -#}
{% macro govlake_staged_columns(source_name, table_name) -%}
    {%- if not execute -%}
        {{- return('*') -}}
    {%- endif -%}
    {%- set node = govlake_source_node(source_name, table_name) -%}
    {%- set items = [] -%}
    {%- for name, column in node.columns.items() -%}
        {%- set m = column.meta -%}
        {%- set q = adapter.quote(name) -%}
        {%- set kind = m.get('type') -%}
        {%- set fmt = m.get('format') -%}
        {%- if m.get('audit') -%}
            {%- if name == 'batch_date' -%}
                {%- do items.append('cast(' ~ q ~ ' as date) as batch_date') -%}
            {%- else -%}
                {%- do items.append(q) -%}
            {%- endif -%}
        {%- elif kind == 'pseudonym' -%}
            {%- do items.append(q) -%}
        {%- elif fmt == 'citizen_id' -%}
            {%- do items.append(govlake_is_valid_citizen_id(adapter.quote('__' ~ name)) ~ ' as is_valid_' ~ name) -%}
        {%- elif fmt == 'phone' -%}
            {#- only the pseudonym column passes -#}
        {%- elif fmt == 'credit_code' -%}
            {%- set n = adapter.quote('__' ~ name) -%}
            {%- do items.append(n ~ ' as ' ~ q) -%}
            {%- do items.append(govlake_is_valid_credit_code(n) ~ ' as is_valid_' ~ name) -%}
        {%- elif fmt == 'period' -%}
            {%- do items.append(govlake_period(govlake_code(q), m.get('formats')) ~ ' as ' ~ q) -%}
        {%- elif fmt in ('street_code', 'division_code', 'industry_code') -%}
            {%- do items.append(govlake_code(q) ~ ' as ' ~ q) -%}
        {%- elif kind == 'integer' -%}
            {%- do items.append('try_cast(replace(' ~ govlake_code(q) ~ ", ',', '') as bigint) as " ~ q) -%}
        {%- elif kind == 'decimal' -%}
            {%- do items.append('try_cast(replace(' ~ govlake_code(q) ~ ", ',', '') as decimal(18, 4)) as " ~ q) -%}
        {%- elif kind == 'date' -%}
            {%- do items.append('cast(' ~ govlake_strptime(govlake_text(q), m.get('formats')) ~ ' as date) as ' ~ q) -%}
        {%- elif kind == 'month' -%}
            {%- do items.append("cast(date_trunc('month', " ~ govlake_strptime(govlake_code(q), m.get('formats')) ~ ') as date) as ' ~ q) -%}
        {%- elif kind == 'boolean' -%}
            {%- do items.append('case when ' ~ govlake_code(q) ~ " in ('是', 'Y', 'YES', 'TRUE', '1') then true when " ~ govlake_code(q) ~ " in ('否', 'N', 'NO', 'FALSE', '0') then false end as " ~ q) -%}
        {%- else -%}
            {%- do items.append(govlake_text(q) ~ ' as ' ~ q) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- items | join(',\n        ') -}},
{%- endmacro %}

