
    

    create  table
      "restricted"."intermediate"."int_hrss__social_insurance_enrolments_current"
  
    
    as (
      -- GENERATED from the register (resource social_insurance_enrolment): latest valid row per key


with

new_rows as (

    select * from "restricted"."staging"."stg_hrss__social_insurance_enrolments"
    where citizen_id_key is not null
      and is_valid_citizen_id
    

),

candidates as (

    select * from new_rows
    

)

select * from candidates
qualify row_number() over (partition by citizen_id_key order by batch_date desc, _ingested_at desc, _source_row desc) = 1
    );
    
  
  