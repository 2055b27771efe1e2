
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select street_code
from "warehouse"."thematic"."health_institutions"
where street_code is null



  
  
      
    ) dbt_internal_test