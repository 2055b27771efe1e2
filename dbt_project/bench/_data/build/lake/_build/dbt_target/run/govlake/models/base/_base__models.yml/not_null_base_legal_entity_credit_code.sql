
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select credit_code
from "warehouse"."base"."base_legal_entity"
where credit_code is null



  
  
      
    ) dbt_internal_test