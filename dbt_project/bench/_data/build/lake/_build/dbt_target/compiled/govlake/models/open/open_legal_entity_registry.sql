-- Open: the public registry of market entities (市场主体登记), public fields of the register only
-- (the legal representative is personal and never published).
with

registrations as (

    select * from "restricted"."intermediate"."int_market_regulation__enterprise_registrations_current"

),

legal_entities as (

    select * from "warehouse"."base"."base_legal_entity"

),

final as (

    select
        registrations.credit_code,
        registrations.entity_name,
        registrations.entity_type,
        registrations.registered_capital,
        registrations.established_date,
        registrations.status,
        registrations.industry_code,
        legal_entities.industry_section_name,
        registrations.address,
        registrations.street_code,
        legal_entities.street_name,
    from registrations
    left join legal_entities on legal_entities.credit_code = registrations.credit_code

)

select * from final