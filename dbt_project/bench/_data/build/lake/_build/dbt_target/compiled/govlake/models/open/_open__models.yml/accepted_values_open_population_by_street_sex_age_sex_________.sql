
    
    

with all_values as (

    select
        sex as value_field,
        count(*) as n_records

    from "warehouse"."open"."open_population_by_street_sex_age"
    group by sex

)

select *
from all_values
where value_field not in (
    '男','女','合计'
)


