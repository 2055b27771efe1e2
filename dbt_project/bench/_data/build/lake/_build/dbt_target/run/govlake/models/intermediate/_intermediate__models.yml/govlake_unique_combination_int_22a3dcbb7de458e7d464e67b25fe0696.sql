
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  

select spot_code, month, count(*) as n_rows
from "restricted"."intermediate"."int_tourism__tourism_monthlies_current"
group by all
having count(*) > 1


  
  
      
    ) dbt_internal_test