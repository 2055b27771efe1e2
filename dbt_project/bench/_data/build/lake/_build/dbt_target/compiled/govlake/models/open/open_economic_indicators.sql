-- Open: the district's main economic indicators (latest revision) with year-on-year growth.
with

indicators as (

    select * from "warehouse"."base"."base_indicator"

),

final as (

    select
        indicator_code,
        indicator_name,
        unit,
        period,
        period_type,
        region_code,
        value,
        revision,
        yoy_growth_pct,
    from indicators

)

select * from final