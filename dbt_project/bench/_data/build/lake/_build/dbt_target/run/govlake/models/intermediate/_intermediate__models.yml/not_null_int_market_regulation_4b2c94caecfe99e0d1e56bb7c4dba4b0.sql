
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select credit_code
from "restricted"."intermediate"."int_market_regulation__enterprise_registrations_current"
where credit_code is null



  
  
      
    ) dbt_internal_test