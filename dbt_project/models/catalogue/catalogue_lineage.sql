-- Lineage between catalogue entries, read from dbt's graph: an edge from each entry to the
-- nearest catalogued entries upstream of it (staging and intermediate models are passed
-- through). Register resources are dbt sources (meta.resource_code); derived resources are
-- models with meta.catalogue.
{%- set codes = {} -%}
{%- set edges = [] -%}
{%- if execute -%}
    {%- for node in graph.sources.values() if node.meta.get('resource_code') -%}
        {%- do codes.update({node.unique_id: node.meta['resource_code']}) -%}
    {%- endfor -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' -%}
        {%- set declared = node.config.meta.get('catalogue') -%}
        {%- if declared -%}
            {%- do codes.update({node.unique_id: declared['resource_code']}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for unique_id, code in codes.items() if unique_id in graph.nodes -%}
        {%- for upstream in govlake_catalogue_upstream(unique_id, codes) -%}
            {%- do edges.append((upstream, code)) -%}
        {%- endfor -%}
    {%- endfor -%}
{%- endif %}

with

edges as (

    {% if edges %}
    select * from (values
        {%- for upstream, downstream in edges | sort %}
        ('{{ upstream }}', '{{ downstream }}'){{ "," if not loop.last }}
        {%- endfor %}
    ) as t (upstream_code, downstream_code)
    {% else %}
    select cast(null as varchar) as upstream_code, cast(null as varchar) as downstream_code
    where false
    {% endif %}

)

select * from edges
