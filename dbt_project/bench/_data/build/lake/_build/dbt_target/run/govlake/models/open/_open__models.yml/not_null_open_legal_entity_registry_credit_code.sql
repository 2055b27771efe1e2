
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select credit_code
from "warehouse"."open"."open_legal_entity_registry"
where credit_code is null



  
  
      
    ) dbt_internal_test