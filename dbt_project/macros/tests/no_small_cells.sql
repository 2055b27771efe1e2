{#- a published count under the threshold is a disclosure -#}
{% test govlake_no_small_cells(model, threshold) %}

select *
from {{ model }}
where population is not null and population < {{ threshold }}

{% endtest %}
