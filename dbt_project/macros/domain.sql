{#- Age bands used by every population product: boundaries at 15, 60 and 65 make the usual
    ageing ratios (60+, 65+) readable straight from the bands. -#}
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
