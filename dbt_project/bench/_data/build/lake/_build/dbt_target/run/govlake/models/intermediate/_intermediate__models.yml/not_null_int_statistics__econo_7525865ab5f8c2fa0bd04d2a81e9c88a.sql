
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select indicator_code
from "restricted"."intermediate"."int_statistics__economic_indicators_current"
where indicator_code is null



  
  
      
    ) dbt_internal_test