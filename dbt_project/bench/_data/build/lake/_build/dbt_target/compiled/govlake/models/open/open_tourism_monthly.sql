-- Open: visitors and tourism revenue per A-level scenic spot and month.
with

monthly as (

    select * from "warehouse"."thematic"."tourism_monthly"

),

final as (

    select
        spot_code,
        spot_name,
        a_level,
        street_name,
        month,
        visitors,
        revenue,
    from monthly

)

select * from final