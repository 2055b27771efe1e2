
    

    create  table
      "warehouse"."thematic"."tourism_monthly__dbt_tmp"
  
    
    as (
      -- 文化旅游 theme: visitors and revenue per scenic spot and month.
with

monthly as (

    select * from "restricted"."intermediate"."int_tourism__tourism_monthlies_current"

),

spots as (

    select * from "warehouse"."thematic"."tourism_spots"

),

final as (

    select
        monthly.spot_code,
        spots.spot_name,
        spots.a_level,
        spots.street_code,
        spots.street_name,
        monthly.month,
        monthly.visitors,
        monthly.revenue,
    from monthly
    left join spots on spots.spot_code = monthly.spot_code

)

select * from final
    );
    
  