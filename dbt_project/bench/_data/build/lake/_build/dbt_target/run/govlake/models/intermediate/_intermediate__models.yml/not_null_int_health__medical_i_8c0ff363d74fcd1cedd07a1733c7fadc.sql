
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select institution_code
from "restricted"."intermediate"."int_health__medical_institutions_current"
where institution_code is null



  
  
      
    ) dbt_internal_test