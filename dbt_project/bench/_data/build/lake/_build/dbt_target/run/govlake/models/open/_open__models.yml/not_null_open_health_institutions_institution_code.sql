
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select institution_code
from "warehouse"."open"."open_health_institutions"
where institution_code is null



  
  
      
    ) dbt_internal_test