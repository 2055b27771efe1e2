-- GENERATED from the register (resource scenic_spot): latest valid row per key


with

new_rows as (

    select * from "restricted"."staging"."stg_tourism__scenic_spots"
    where spot_code is not null
    

),

candidates as (

    select * from new_rows
    

)

select * from candidates
qualify row_number() over (partition by spot_code order by batch_date desc, _ingested_at desc, _source_row desc) = 1