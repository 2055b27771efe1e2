{#- Age bands used by every population product: boundaries at 15, 60 and 65 make the usual
    ageing ratios (60+, 65+) readable straight from the bands. -#}
{#- whole years from birth_date to as_of_date -#}
{% macro govlake_age(as_of_date, birth_date) -%}
    cast(date_part('year', age({{ as_of_date }}, {{ birth_date }})) as integer)
{%- endmacro %}

{% macro govlake_age_band(age) -%}
    case
        when {{ age }} is null then null
        when {{ age }} < 15 then '00-14'
        when {{ age }} < 25 then '15-24'
        when {{ age }} < 45 then '25-44'
        when {{ age }} < 60 then '45-59'
        when {{ age }} < 65 then '60-64'
        when {{ age }} < 80 then '65-79'
        else '80+'
    end
{%- endmacro %}

{#- label of a code in one of the register's controlled vocabularies (seed `vocab`) -#}
{% macro govlake_vocab(name) -%}
    (select code, label from {{ ref('vocab') }} where vocab = '{{ name }}')
{%- endmacro %}

{#- base_person (incremental) recomputes only the persons a new batch changed, but every age is
    on the latest police batch date: when a batch moves that date, the stored rows' as-of date,
    age and age band are updated in place (three columns, not a rebuild of ~570k rows). Run as
    the model's post-hook; a full build updates nothing. -#}
{% macro govlake_refresh_ages(relation, persons) -%}
    update {{ relation }} as person
    set as_of_date = as_of.as_of_date,
        age = {{ govlake_age('as_of.as_of_date', 'person.birth_date') }},
        age_band = {{ govlake_age_band(govlake_age('as_of.as_of_date', 'person.birth_date')) }}
    from (select max(batch_date) as as_of_date from {{ persons }}) as as_of
    where person.as_of_date is distinct from as_of.as_of_date
{%- endmacro %}
