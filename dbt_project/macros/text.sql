{#- Text normalisation shared by every staging model (derived from column meta, never typed per
    field). Full-width ASCII (U+FF01-FF5E) and the ideographic space U+3000 become half-width, as
    NFKC does for identifiers in govlake.identifiers.normalise. -#}

{#- translate() is slow (~1.5 s per 570k values): only rows holding a full-width character or
    U+3000 go through it -#}
{% macro govlake_halfwidth(expr) -%}
    case when regexp_matches({{ expr }}, '[\x{FF01}-\x{FF5E}\x{3000}]') then translate({{ expr }}, {% raw %}'！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　', '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~ '{% endraw %}) else {{ expr }} end
{%- endmacro %}

{#- free text: half-width, runs of whitespace collapsed to one space, trimmed, '' → null -#}
{% macro govlake_text(expr) -%}
    nullif(trim(regexp_replace({{ govlake_halfwidth(expr) }}, '\s+', ' ', 'g')), '')
{%- endmacro %}

{#- codes and identifiers: half-width, no whitespace at all, upper case, '' → null -#}
{% macro govlake_code(expr) -%}
    nullif(upper(regexp_replace({{ govlake_halfwidth(expr) }}, '\s+', '', 'g')), '')
{%- endmacro %}
