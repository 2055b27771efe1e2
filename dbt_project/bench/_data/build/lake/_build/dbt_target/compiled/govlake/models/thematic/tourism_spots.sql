-- 文化旅游 theme: A-level scenic spots with their sub-district.
with

spots as (

    select * from "restricted"."intermediate"."int_tourism__scenic_spots_current"

),

streets as (

    select * from (select code, label from "warehouse"."reference"."vocab" where vocab = 'street')

),

final as (

    select
        spots.spot_code,
        spots.spot_name,
        spots.a_level,
        spots.max_capacity,
        spots.street_code,
        streets.label as street_name,
    from spots
    left join streets on streets.code = spots.street_code

)

select * from final