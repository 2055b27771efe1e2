-- 人口基础库: one row per household (户) of the police household register, with the members the
-- person register links to it. The address is personal and stays in the restricted zone.
-- Incremental: a run recomputes the households whose row changed or ended (a snapshot without
-- them: the pre-hook forgets them, the model inserts those still current) or whose member
-- count in base_person moved (counting all members is cheap; rewriting ~220k rows is not).
{%- set inputs = [['int_police__households_history', 'household_id']] %}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='household_id',
    on_schema_change='fail',
    pre_hook="{{ govlake_forget_changed('household_id', " ~ inputs ~ ") }}",
) }}
{% for model, _ in inputs %}-- depends_on: {{ ref(model) }}
{% endfor %}
with

households as (

    select * from {{ ref('int_police__households_current') }}

),

members as (

    select household_id, count(*) as registered_members
    from {{ ref('base_person') }}
    group by all

),

{% if is_incremental() %}
changed as (

    {{ govlake_changed_entities(inputs) }}
    union
    select stored.household_id from {{ this }} as stored
    left join members on members.household_id = stored.household_id
    where stored.registered_members <> coalesce(members.registered_members, 0)

),

{% endif %}
streets as (

    select * from {{ govlake_vocab('street') }}

),

final as (

    select
        households.household_id,
        households.head_citizen_id_key as head_person_key,
        households.household_type,
        households.street_code,
        streets.label as street_name,
        households.member_count,
        coalesce(members.registered_members, 0) as registered_members,
        households._batch_id as source_batch_id,
        households.batch_date as as_of_date,
    from households
    left join members on members.household_id = households.household_id
    left join streets on streets.code = households.street_code
    {% if is_incremental() %}
    where households.household_id in (select entity_key from changed)
    {% endif %}

)

select * from final
