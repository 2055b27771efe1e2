
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  

select indicator_code, period, region_code, count(*) as n_rows
from "warehouse"."base"."base_indicator"
group by all
having count(*) > 1


  
  
      
    ) dbt_internal_test