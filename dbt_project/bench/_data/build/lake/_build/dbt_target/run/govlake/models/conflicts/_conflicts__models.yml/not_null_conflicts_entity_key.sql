
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select entity_key
from "restricted"."conflicts"."conflicts"
where entity_key is null



  
  
      
    ) dbt_internal_test