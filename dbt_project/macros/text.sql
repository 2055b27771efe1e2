{#- Text normalisation shared by every staging model (derived from column meta, never typed per
    field). Full-width ASCII (U+FF01-FF5E) and the ideographic space U+3000 become half-width, as
    NFKC does for identifiers in govlake.identifiers.normalise. -#}

{% macro govlake_halfwidth(expr) -%}
    translate({{ expr }}, {% raw %}'！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　', '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~ '{% endraw %})
{%- endmacro %}

{#- free text: half-width, runs of whitespace collapsed to one space, trimmed, '' → null -#}
{% macro govlake_text(expr) -%}
    nullif(trim(regexp_replace({{ govlake_halfwidth(expr) }}, '\s+', ' ', 'g')), '')
{%- endmacro %}

{#- codes and identifiers: half-width, no whitespace at all, upper case, '' → null -#}
{% macro govlake_code(expr) -%}
    nullif(upper(regexp_replace({{ govlake_halfwidth(expr) }}, '\s+', '', 'g')), '')
{%- endmacro %}
