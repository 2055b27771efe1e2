-- 法人基础库 (多证合一): one row per valid unified social credit code known to market regulation,
-- tax or statistics. Each attribute from its authoritative department; where that department
-- does not know the entity, the value of another department fills in (the *_source columns say
-- which). Disagreements between departments are in the conflicts models. An entity market
-- regulation has struck off (its change feed's 注销 / 吊销) leaves, even while tax or statistics
-- still list it: market regulation is the authority on whether it exists.
with

market as (

    select * from {{ ref('int_market_regulation__enterprise_registrations_current') }}

),

tax as (

    select * from {{ ref('int_tax__tax_registrations_current') }}

),

stats as (

    select * from {{ ref('int_statistics__statistical_units_current') }}

),

struck_off as (

    select credit_code
    from {{ ref('int_market_regulation__enterprise_registrations_history') }}
    where valid_to is not null

),

codes as (

    (
        select credit_code from market
        union
        select credit_code from tax
        union
        select credit_code from stats
    )
    except
    select credit_code from struck_off

),

sections as (

    select * from {{ govlake_vocab('industry_section') }}

),

divisions as (

    select * from {{ govlake_vocab('industry_division') }}

),

streets as (

    select * from {{ govlake_vocab('street') }}

),

joined as (

    select
        codes.credit_code,
        coalesce(market.entity_name, stats.unit_name, tax.taxpayer_name) as entity_name,
        case
            when market.entity_name is not null then 'market_regulation'
            when stats.unit_name is not null then 'statistics'
            else 'tax'
        end as entity_name_source,
        market.entity_type,
        market.status,
        market.established_date,
        market.registered_capital,
        coalesce(stats.industry_code, market.industry_code) as industry_code,
        case
            when stats.industry_code is not null then 'statistics'
            when market.industry_code is not null then 'market_regulation'
        end as industry_source,
        stats.size_class,
        stats.employees,
        tax.taxpayer_type,
        tax.tax_status,
        tax.credit_band as tax_credit_band,
        tax.registered_date as tax_registered_date,
        coalesce(market.street_code, stats.street_code) as street_code,
        market.credit_code is not null as is_known_to_market_regulation,
        tax.credit_code is not null as is_known_to_tax,
        stats.credit_code is not null as is_known_to_statistics,
        greatest(market.batch_date, tax.batch_date, stats.batch_date) as as_of_date,
    from codes
    left join market on market.credit_code = codes.credit_code
    left join tax on tax.credit_code = codes.credit_code
    left join stats on stats.credit_code = codes.credit_code

),

final as (

    select
        joined.credit_code,
        joined.entity_name,
        joined.entity_name_source,
        joined.entity_type,
        joined.status,
        joined.established_date,
        joined.registered_capital,
        joined.industry_code,
        joined.industry_source,
        left(joined.industry_code, 1) as industry_section,
        sections.label as industry_section_name,
        left(joined.industry_code, 3) as industry_division,
        divisions.label as industry_division_name,
        joined.size_class,
        joined.employees,
        joined.taxpayer_type,
        joined.tax_status,
        joined.tax_credit_band,
        joined.tax_registered_date,
        joined.street_code,
        streets.label as street_name,
        joined.is_known_to_market_regulation,
        joined.is_known_to_tax,
        joined.is_known_to_statistics,
        joined.is_known_to_market_regulation::integer
            + joined.is_known_to_tax::integer
            + joined.is_known_to_statistics::integer as department_count,
        joined.as_of_date,
    from joined
    left join sections on sections.code = left(joined.industry_code, 1)
    left join divisions on divisions.code = left(joined.industry_code, 3)
    left join streets on streets.code = joined.street_code

)

select * from final
