{#- no two rows share the same values of `columns` (dbt_utils is not installed offline) -#}
{% test govlake_unique_combination(model, columns) %}

select {{ columns | join(', ') }}, count(*) as n_rows
from {{ model }}
group by all
having count(*) > 1

{% endtest %}
