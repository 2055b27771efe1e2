
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select street_code
from "warehouse"."base"."base_person"
where street_code is null



  
  
      
    ) dbt_internal_test