
    

    create  table
      "restricted"."intermediate"."int_statistics__economic_indicators_current"
  
    
    as (
      -- GENERATED from the register (resource economic_indicator): latest valid row per key


with

new_rows as (

    select * from "restricted"."staging"."stg_statistics__economic_indicators"
    where indicator_code is not null
      and period is not null
      and region_code is not null
    

),

candidates as (

    select * from new_rows
    

)

select * from candidates
qualify row_number() over (partition by indicator_code, period, region_code order by revision desc nulls last, batch_date desc, _ingested_at desc, _source_row desc) = 1
    );
    
  
  