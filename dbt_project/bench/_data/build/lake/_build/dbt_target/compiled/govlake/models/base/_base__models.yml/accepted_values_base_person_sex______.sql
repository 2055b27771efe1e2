
    
    

with all_values as (

    select
        sex as value_field,
        count(*) as n_records

    from "warehouse"."base"."base_person"
    group by sex

)

select *
from all_values
where value_field not in (
    '男','女'
)


