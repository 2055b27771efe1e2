-- 文化旅游 theme: accommodation (hotels) with rooms, beds and sub-district.
with

hotels as (

    select * from "restricted"."intermediate"."int_tourism__hotels_current"

),

streets as (

    select * from (select code, label from "warehouse"."reference"."vocab" where vocab = 'street')

),

final as (

    select
        hotels.hotel_code,
        hotels.hotel_name,
        hotels.star_rating,
        hotels.rooms,
        hotels.beds,
        hotels.street_code,
        streets.label as street_name,
    from hotels
    left join streets on streets.code = hotels.street_code

)

select * from final