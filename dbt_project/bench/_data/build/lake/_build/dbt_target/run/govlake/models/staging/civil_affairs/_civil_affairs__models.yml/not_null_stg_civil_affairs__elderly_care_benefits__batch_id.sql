
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select _batch_id
from "restricted"."staging"."stg_civil_affairs__elderly_care_benefits"
where _batch_id is null



  
  
      
    ) dbt_internal_test