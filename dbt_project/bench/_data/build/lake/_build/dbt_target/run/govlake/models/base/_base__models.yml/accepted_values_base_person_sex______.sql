
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    

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



  
  
      
    ) dbt_internal_test