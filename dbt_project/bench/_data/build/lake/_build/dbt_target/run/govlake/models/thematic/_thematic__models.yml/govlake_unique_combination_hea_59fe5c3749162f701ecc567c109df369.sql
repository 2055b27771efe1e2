
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  

select month, street_code, count(*) as n_rows
from "warehouse"."thematic"."health_service_monthly"
group by all
having count(*) > 1


  
  
      
    ) dbt_internal_test