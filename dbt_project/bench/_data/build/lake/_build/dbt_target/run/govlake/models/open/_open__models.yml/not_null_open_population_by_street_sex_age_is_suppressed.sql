
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select is_suppressed
from "warehouse"."open"."open_population_by_street_sex_age"
where is_suppressed is null



  
  
      
    ) dbt_internal_test