-- 人口基础库: one row per person known to the police register (the authority for who lives in
-- the district); each attribute from its authoritative department (register: authoritative).
with

persons as (

    select * from "restricted"."intermediate"."int_police__registered_persons_current"

),

employment as (

    select * from "restricted"."intermediate"."int_hrss__social_insurance_enrolments_current"

),

elderly_care as (

    select citizen_id_key, count(*) as benefits
    from "restricted"."intermediate"."int_civil_affairs__elderly_care_benefits_current"
    group by all

),

disability as (

    select citizen_id_key, count(*) as benefits
    from "restricted"."intermediate"."int_civil_affairs__disability_benefits_current"
    group by all

),

streets as (

    select * from (select code, label from "warehouse"."reference"."vocab" where vocab = 'street')

),

as_of as (

    select max(batch_date) as as_of_date from persons

),

aged as (

    select
        persons.*,
        as_of.as_of_date,
        cast(date_part('year', age(as_of.as_of_date, persons.birth_date)) as integer) as age,
    from persons
    cross join as_of

),

final as (

    select
        aged.citizen_id_key as person_key,
        aged.sex,
        aged.birth_date,
        aged.age,
        case
        when aged.age is null then null
        when aged.age < 15 then '00-14'
        when aged.age < 25 then '15-24'
        when aged.age < 45 then '25-44'
        when aged.age < 60 then '45-59'
        when aged.age < 65 then '60-64'
        when aged.age < 80 then '65-79'
        else '80+'
    end as age_band,
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