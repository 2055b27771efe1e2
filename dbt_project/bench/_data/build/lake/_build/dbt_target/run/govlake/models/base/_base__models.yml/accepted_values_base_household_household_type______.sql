
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    

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



  
  
      
    ) dbt_internal_test