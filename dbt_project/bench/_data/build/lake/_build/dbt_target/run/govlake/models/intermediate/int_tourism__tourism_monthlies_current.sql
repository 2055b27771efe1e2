
    

    create  table
      "restricted"."intermediate"."int_tourism__tourism_monthlies_current"
  
    
    as (
      -- GENERATED from the register (resource tourism_monthly): latest valid row per key


with

new_rows as (

    select * from "restricted"."staging"."stg_tourism__tourism_monthlies"
    where spot_code is not null
      and month is not null
    

),

candidates as (

    select * from new_rows
    

)

select * from candidates
qualify row_number() over (partition by spot_code, month order by batch_date desc, _ingested_at desc, _source_row desc) = 1
    );
    
  
  