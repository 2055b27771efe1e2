-- 人口基础库: one row per person known to the police register (the authority for who lives in
-- the district); each attribute from its authoritative department (register: authoritative).
-- Incremental: a daily delta changes a few thousand of ~570k persons, so a run recomputes only
-- the persons whose row in one of its inputs changed or ended (the pre-hook forgets them, the
-- model inserts those still current: a person deregistered (注销) or whose benefit list left
-- them out is updated or gone); the post-hook moves everyone's age to the new as-of date. Same
-- rows as a full build.
{%- set inputs = [
    ['int_police__registered_persons_history', 'citizen_id_key'],
    ['int_hrss__social_insurance_enrolments_history', 'citizen_id_key'],
    ['int_civil_affairs__elderly_care_benefits_history', 'citizen_id_key'],
    ['int_civil_affairs__disability_benefits_history', 'citizen_id_key'],
] %}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='person_key',
    on_schema_change='fail',
    pre_hook="{{ govlake_forget_changed('person_key', " ~ inputs ~ ") }}",
    post_hook="{{ govlake_refresh_ages(this, ref('int_police__registered_persons_current')) }}",
) }}
{% for model, _ in inputs %}-- depends_on: {{ ref(model) }}
{% endfor %}{#- incremental runs read every input for the changed persons only -#}
{%- set only_changed -%}
    {% if is_incremental() %}where citizen_id_key in (select entity_key from changed){% endif %}
{%- endset %}

with
{% if is_incremental() %}

changed as (

    {{ govlake_changed_entities(inputs) }}

),
{% endif %}

persons as (

    select * from {{ ref('int_police__registered_persons_current') }}
    {{ only_changed }}

),

employment as (

    select * from {{ ref('int_hrss__social_insurance_enrolments_current') }}
    {{ only_changed }}

),

elderly_care as (

    select citizen_id_key, count(*) as benefits
    from {{ ref('int_civil_affairs__elderly_care_benefits_current') }}
    {{ only_changed }}
    group by all

),

disability as (

    select citizen_id_key, count(*) as benefits
    from {{ ref('int_civil_affairs__disability_benefits_current') }}
    {{ only_changed }}
    group by all

),

streets as (

    select * from {{ govlake_vocab('street') }}

),

as_of as (

    select max(batch_date) as as_of_date
    from {{ ref('int_police__registered_persons_current') }}  -- everyone's, not just the changed

),

aged as (

    select
        persons.*,
        as_of.as_of_date,
        {{ govlake_age('as_of.as_of_date', 'persons.birth_date') }} as age,
    from persons
    cross join as_of

),

final as (

    select
        aged.citizen_id_key as person_key,
        aged.sex,
        aged.birth_date,
        aged.age,
        {{ govlake_age_band('aged.age') }} as age_band,
        aged.ethnicity,
        aged.household_id,
        aged.street_code,
        streets.label as street_name,
        aged.registration_type,
        aged.move_in_date,
        employment.employment_status,
        employment.employer_credit_code,
        employment.insurance_types,
        employment.citizen_id_key is not null as is_insured,
        coalesce(elderly_care.benefits, 0) > 0 as has_elderly_care_benefit,
        coalesce(disability.benefits, 0) > 0 as has_disability_benefit,
        aged._batch_id as source_batch_id,
        aged.as_of_date,
    from aged
    left join employment on employment.citizen_id_key = aged.citizen_id_key
    left join elderly_care on elderly_care.citizen_id_key = aged.citizen_id_key
    left join disability on disability.citizen_id_key = aged.citizen_id_key
    left join streets on streets.code = aged.street_code

)

select * from final
