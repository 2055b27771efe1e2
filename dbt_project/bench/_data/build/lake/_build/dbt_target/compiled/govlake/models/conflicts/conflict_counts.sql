-- GENERATED from the register: conflicts per attribute and department pair, including
-- the pairs that agree (0), for the catalogue and the analysts (no keys, no values).


with

compared_pairs as (

    select * from (values
        ('person.name', 'police', 'civil_affairs', 'elderly_care_benefit', 'person_name'),
        ('person.street', 'police', 'civil_affairs', 'elderly_care_benefit', 'street_code'),
        ('legal_entity.industry', 'statistics', 'market_regulation', 'enterprise_registration', 'industry_code'),
        ('legal_entity.name', 'market_regulation', 'statistics', 'statistical_unit', 'unit_name'),
        ('legal_entity.street', 'market_regulation', 'statistics', 'statistical_unit', 'street_code'),
        ('legal_entity.name', 'market_regulation', 'tax', 'tax_registration', 'taxpayer_name')
    ) as t (base_attribute, authoritative_department, other_department, other_resource,
            other_field)

),

conflicts as (

    select * from "restricted"."conflicts"."conflicts"

),

final as (

    select
        compared_pairs.base_attribute,
        compared_pairs.authoritative_department,
        compared_pairs.other_department,
        compared_pairs.other_resource,
        compared_pairs.other_field,
        count(conflicts.entity_key) as conflicts,
        count(distinct conflicts.entity_key) as entities,
        max(conflicts.batch_date) as latest_batch_date,
    from compared_pairs
    left join conflicts
        on conflicts.base_attribute = compared_pairs.base_attribute
        and conflicts.other_resource = compared_pairs.other_resource
        and conflicts.other_field = compared_pairs.other_field
    group by all

)

select * from final