
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select spot_code
from "restricted"."intermediate"."int_tourism__scenic_spots_current"
where spot_code is null



  
  
      
    ) dbt_internal_test