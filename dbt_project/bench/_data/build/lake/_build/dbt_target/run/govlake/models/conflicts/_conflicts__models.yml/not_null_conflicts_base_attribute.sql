
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select base_attribute
from "restricted"."conflicts"."conflicts"
where base_attribute is null



  
  
      
    ) dbt_internal_test