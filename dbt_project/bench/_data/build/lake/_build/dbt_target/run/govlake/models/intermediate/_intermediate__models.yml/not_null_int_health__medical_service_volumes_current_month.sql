
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select month
from "restricted"."intermediate"."int_health__medical_service_volumes_current"
where month is null



  
  
      
    ) dbt_internal_test