
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select benefit_type
from "restricted"."intermediate"."int_civil_affairs__elderly_care_benefits_current"
where benefit_type is null



  
  
      
    ) dbt_internal_test