
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select conflicts
from "warehouse"."conflicts"."conflict_counts"
where conflicts is null



  
  
      
    ) dbt_internal_test