
    
    

with all_values as (

    select
        household_type as value_field,
        count(*) as n_records

    from "warehouse"."base"."base_household"
    group by household_type

)

select *
from all_values
where value_field not in (
    '家庭户','集体户'
)


