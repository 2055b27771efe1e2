
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select sex
from "warehouse"."base"."base_person"
where sex is null



  
  
      
    ) dbt_internal_test