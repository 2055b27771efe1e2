
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select hotel_code
from "restricted"."intermediate"."int_tourism__hotels_current"
where hotel_code is null



  
  
      
    ) dbt_internal_test