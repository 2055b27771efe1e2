-- GENERATED from the register (base_attribute / authoritative): 一数一源 conflicts.
-- One row per entity whose value from a non-authoritative department differs from the
-- authoritative department's current value (both present). Restricted: values may be
-- personal; analysts see conflict_counts.
with

compared as (

    select distinct
        'person.name' as base_attribute,
        'person' as entity,
        other.citizen_id_key as entity_key,
        'police' as authoritative_department,
        'registered_person' as authoritative_resource,
        'person_name' as authoritative_field,
        cast(auth.person_name as varchar) as authoritative_value,
        'civil_affairs' as other_department,
        'elderly_care_benefit' as other_resource,
        'person_name' as other_field,
        cast(other.person_name as varchar) as other_value,
        other._batch_id as batch_id,
        other.batch_date,
    from "restricted"."intermediate"."int_civil_affairs__elderly_care_benefits_current" as other
    inner join "restricted"."intermediate"."int_police__registered_persons_current" as auth
        on auth.citizen_id_key = other.citizen_id_key
    where auth.person_name is not null
      and other.person_name is not null
      and auth.person_name <> other.person_name

    union all

    select distinct
        'person.street' as base_attribute,
        'person' as entity,
        other.citizen_id_key as entity_key,
        'police' as authoritative_department,
        'registered_person' as authoritative_resource,
        'street_code' as authoritative_field,
        cast(auth.street_code as varchar) as authoritative_value,
        'civil_affairs' as other_department,
        'elderly_care_benefit' as other_resource,
        'street_code' as other_field,
        cast(other.street_code as varchar) as other_value,
        other._batch_id as batch_id,
        other.batch_date,
    from "restricted"."intermediate"."int_civil_affairs__elderly_care_benefits_current" as other
    inner join "restricted"."intermediate"."int_police__registered_persons_current" as auth
        on auth.citizen_id_key = other.citizen_id_key
    where auth.street_code is not null
      and other.street_code is not null
      and auth.street_code <> other.street_code

    union all

    select distinct
        'legal_entity.industry' as base_attribute,
        'legal_entity' as entity,
        other.credit_code as entity_key,
        'statistics' as authoritative_department,
        'statistical_unit' as authoritative_resource,
        'industry_code' as authoritative_field,
        cast(auth.industry_code as varchar) as authoritative_value,
        'market_regulation' as other_department,
        'enterprise_registration' as other_resource,
        'industry_code' as other_field,
        cast(other.industry_code as varchar) as other_value,
        other._batch_id as batch_id,
        other.batch_date,
    from "restricted"."intermediate"."int_market_regulation__enterprise_registrations_current" as other
    inner join "restricted"."intermediate"."int_statistics__statistical_units_current" as auth
        on auth.credit_code = other.credit_code
    where auth.industry_code is not null
      and other.industry_code is not null
      and auth.industry_code <> other.industry_code

    union all

    select distinct
        'legal_entity.name' as base_attribute,
        'legal_entity' as entity,
        other.credit_code as entity_key,
        'market_regulation' as authoritative_department,
        'enterprise_registration' as authoritative_resource,
        'entity_name' as authoritative_field,
        cast(auth.entity_name as varchar) as authoritative_value,
        'statistics' as other_department,
        'statistical_unit' as other_resource,
        'unit_name' as other_field,
        cast(other.unit_name as varchar) as other_value,
        other._batch_id as batch_id,
        other.batch_date,
    from "restricted"."intermediate"."int_statistics__statistical_units_current" as other
    inner join "restricted"."intermediate"."int_market_regulation__enterprise_registrations_current" as auth
        on auth.credit_code = other.credit_code
    where auth.entity_name is not null
      and other.unit_name is not null
      and auth.entity_name <> other.unit_name

    union all

    select distinct
        'legal_entity.street' as base_attribute,
        'legal_entity' as entity,
        other.credit_code as entity_key,
        'market_regulation' as authoritative_department,
        'enterprise_registration' as authoritative_resource,
        'street_code' as authoritative_field,
        cast(auth.street_code as varchar) as authoritative_value,
        'statistics' as other_department,
        'statistical_unit' as other_resource,
        'street_code' as other_field,
        cast(other.street_code as varchar) as other_value,
        other._batch_id as batch_id,
        other.batch_date,
    from "restricted"."intermediate"."int_statistics__statistical_units_current" as other
    inner join "restricted"."intermediate"."int_market_regulation__enterprise_registrations_current" as auth
        on auth.credit_code = other.credit_code
    where auth.street_code is not null
      and other.street_code is not null
      and auth.street_code <> other.street_code

    union all

    select distinct
        'legal_entity.name' as base_attribute,
        'legal_entity' as entity,
        other.credit_code as entity_key,
        'market_regulation' as authoritative_department,
        'enterprise_registration' as authoritative_resource,
        'entity_name' as authoritative_field,
        cast(auth.entity_name as varchar) as authoritative_value,
        'tax' as other_department,
        'tax_registration' as other_resource,
        'taxpayer_name' as other_field,
        cast(other.taxpayer_name as varchar) as other_value,
        other._batch_id as batch_id,
        other.batch_date,
    from "restricted"."intermediate"."int_tax__tax_registrations_current" as other
    inner join "restricted"."intermediate"."int_market_regulation__enterprise_registrations_current" as auth
        on auth.credit_code = other.credit_code
    where auth.entity_name is not null
      and other.taxpayer_name is not null
      and auth.entity_name <> other.taxpayer_name

)

select * from compared