
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select credit_code
from "restricted"."intermediate"."int_statistics__statistical_units_current"
where credit_code is null



  
  
      
    ) dbt_internal_test