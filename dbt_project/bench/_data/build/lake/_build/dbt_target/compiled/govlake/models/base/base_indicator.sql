-- 宏观经济基础库: the statistics bureau's indicators as one long table (latest revision per
-- indicator, period and region), with year-on-year growth against the same period a year before.
with

indicators as (

    select * from "restricted"."intermediate"."int_statistics__economic_indicators_current"

),

with_prior as (

    select
        indicators.*,
        cast(cast(left(indicators.period, 4) as integer) - 1 as varchar)
            || substr(indicators.period, 5) as prior_period,
    from indicators

),

final as (

    select
        current_year.indicator_code,
        current_year.indicator_name,
        current_year.unit,
        current_year.period,
        case current_year.period_type
            when '月' then 'month' when '季' then 'quarter' when '年' then 'year'
        end as period_type,
        current_year.region_code,
        current_year.value,
        current_year.revision,
        'statistics' as source_department,
        current_year.prior_period,
        prior_year.value as prior_value,
        round(100 * (current_year.value / nullif(prior_year.value, 0) - 1), 2) as yoy_growth_pct,
        current_year._batch_id as source_batch_id,
    from with_prior as current_year
    left join indicators as prior_year
        on prior_year.indicator_code = current_year.indicator_code
        and prior_year.region_code = current_year.region_code
        and prior_year.period = current_year.prior_period

)

select * from final