
    

    create  table
      "restricted"."intermediate"."int_tourism__hotels_current"
  
    
    as (
      -- GENERATED from the register (resource hotel): latest valid row per key


with

new_rows as (

    select * from "restricted"."staging"."stg_tourism__hotels"
    where hotel_code is not null
      and is_valid_hotel_code
    

),

candidates as (

    select * from new_rows
    

)

select * from candidates
qualify row_number() over (partition by hotel_code order by batch_date desc, _ingested_at desc, _source_row desc) = 1
    );
    
  
  