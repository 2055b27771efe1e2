
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  

select institution_code, month, count(*) as n_rows
from "restricted"."intermediate"."int_health__medical_service_volumes_current"
group by all
having count(*) > 1


  
  
      
    ) dbt_internal_test