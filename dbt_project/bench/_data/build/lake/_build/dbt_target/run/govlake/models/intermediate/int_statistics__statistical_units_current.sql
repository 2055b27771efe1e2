
    

    create  table
      "restricted"."intermediate"."int_statistics__statistical_units_current"
  
    
    as (
      -- GENERATED from the register (resource statistical_unit): latest valid row per key


with

new_rows as (

    select * from "restricted"."staging"."stg_statistics__statistical_units"
    where credit_code is not null
      and is_valid_credit_code
    

),

candidates as (

    select * from new_rows
    

)

select * from candidates
qualify row_number() over (partition by credit_code order by batch_date desc, _ingested_at desc, _source_row desc) = 1
    );
    
  
  