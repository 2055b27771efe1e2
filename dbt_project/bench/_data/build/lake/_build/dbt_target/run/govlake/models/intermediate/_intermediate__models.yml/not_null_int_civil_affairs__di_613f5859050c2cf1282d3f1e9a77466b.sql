
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select citizen_id_key
from "restricted"."intermediate"."int_civil_affairs__disability_benefits_current"
where citizen_id_key is null



  
  
      
    ) dbt_internal_test