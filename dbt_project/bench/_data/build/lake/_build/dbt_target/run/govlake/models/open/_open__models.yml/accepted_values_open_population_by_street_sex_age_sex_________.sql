
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    

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



  
  
      
    ) dbt_internal_test