{#- 一数一源: rows of one non-authoritative field whose current value differs from the
    authoritative department's current value for the same entity (both present). The generated
    conflicts model calls this once per (base attribute, other field) from the register. -#}
{% macro govlake_conflict_rows(attribute, entity, auth, other) -%}
    select distinct
        '{{ attribute }}' as base_attribute,
        '{{ entity }}' as entity,
        other.{{ other.key }} as entity_key,
        '{{ auth.department }}' as authoritative_department,
        '{{ auth.resource }}' as authoritative_resource,
        '{{ auth.field }}' as authoritative_field,
        cast(auth.{{ auth.field }} as varchar) as authoritative_value,
        '{{ other.department }}' as other_department,
        '{{ other.resource }}' as other_resource,
        '{{ other.field }}' as other_field,
        cast(other.{{ other.field }} as varchar) as other_value,
        other._batch_id as batch_id,
        other.batch_date,
    from {{ ref(other.model) }} as other
    inner join {{ ref(auth.model) }} as auth
        on auth.{{ auth.key }} = other.{{ other.key }}
    where auth.{{ auth.field }} is not null
      and other.{{ other.field }} is not null
      and auth.{{ auth.field }} <> other.{{ other.field }}
    {%- if is_incremental() %}
      and other.{{ other.key }} in (select entity_key from changed_keys)
    {%- endif %}
{%- endmacro %}

{#- The entities whose row in one of the compared resources (`inputs`: [history model, key]
    pairs) changed or ended in this run: an incremental run forgets their rows (pre-hook) and
    computes them again; every other entity's rows stay as they are. -#}
{% macro govlake_changed_entities(inputs) -%}
    {%- for model, key in inputs %}
    select {{ key }} as entity_key from {{ ref(model) }} where {{ govlake_changed_keys_filter() }}
    {%- if not loop.last %}
    union{% endif %}
    {%- endfor %}
{%- endmacro %}

{% macro govlake_forget_changed_conflicts(inputs) -%}
    {%- if is_incremental() -%}
    delete from {{ this }} where entity_key in ({{ govlake_changed_entities(inputs) }})
    {%- endif -%}
{%- endmacro %}

{#- Incremental base models: forget the stored rows of every changed or ended entity before the
    model inserts the current ones again (a key that left is not inserted, so it is gone). -#}
{% macro govlake_forget_changed(key_column, inputs) -%}
    {%- if is_incremental() -%}
    delete from {{ this }} where {{ key_column }} in ({{ govlake_changed_entities(inputs) }})
    {%- endif -%}
{%- endmacro %}
