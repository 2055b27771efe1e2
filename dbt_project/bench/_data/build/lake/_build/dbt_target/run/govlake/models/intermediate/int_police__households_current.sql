
    

    create  table
      "restricted"."intermediate"."int_police__households_current"
  
    
    as (
      -- GENERATED from the register (resource household): latest valid row per key


with

new_rows as (

    select * from "restricted"."staging"."stg_police__households"
    where household_id is not null
    

),

candidates as (

    select * from new_rows
    

)

select * from candidates
qualify row_number() over (partition by household_id order by batch_date desc, _ingested_at desc, _source_row desc) = 1
    );
    
  
  