-- GENERATED from the register (resource investment_project): latest valid row per key


with

new_rows as (

    select * from "restricted"."staging"."stg_development_reform__investment_projects"
    where project_code is not null
    

),

candidates as (

    select * from new_rows
    

)

select * from candidates
qualify row_number() over (partition by project_code order by batch_date desc, _ingested_at desc, _source_row desc) = 1