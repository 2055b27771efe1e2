
    

    create  table
      "restricted"."intermediate"."int_civil_affairs__elderly_care_benefits_current"
  
    
    as (
      -- GENERATED from the register (resource elderly_care_benefit): latest valid row per key


with

new_rows as (

    select * from "restricted"."staging"."stg_civil_affairs__elderly_care_benefits"
    where citizen_id_key is not null
      and is_valid_citizen_id
      and benefit_type is not null
    

),

candidates as (

    select * from new_rows
    

)

select * from candidates
qualify row_number() over (partition by citizen_id_key, benefit_type order by batch_date desc, _ingested_at desc, _source_row desc) = 1
    );
    
  
  