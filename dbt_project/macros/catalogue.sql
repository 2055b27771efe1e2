{#- The catalogued entries nearest upstream of a node: walk depends_on through models that are
    not catalogued themselves (staging, intermediate); `codes` maps unique id → resource code. -#}
{% macro govlake_catalogue_upstream(unique_id, codes) -%}
    {%- set found = [] -%}
    {%- for parent in graph.nodes[unique_id].depends_on.nodes -%}
        {%- if parent in codes -%}
            {%- do found.append(codes[parent]) -%}
        {%- elif parent in graph.nodes -%}
            {%- do found.extend(govlake_catalogue_upstream(parent, codes)) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(found | unique | list) -}}
{%- endmacro %}
