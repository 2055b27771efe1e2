
    

    create  table
      "restricted"."intermediate"."int_health__medical_institutions_current"
  
    
    as (
      -- GENERATED from the register (resource medical_institution): latest valid row per key


with

new_rows as (

    select * from "restricted"."staging"."stg_health__medical_institutions"
    where institution_code is not null
      and is_valid_institution_code
    

),

candidates as (

    select * from new_rows
    

)

select * from candidates
qualify row_number() over (partition by institution_code order by batch_date desc, _ingested_at desc, _source_row desc) = 1
    );
    
  
  