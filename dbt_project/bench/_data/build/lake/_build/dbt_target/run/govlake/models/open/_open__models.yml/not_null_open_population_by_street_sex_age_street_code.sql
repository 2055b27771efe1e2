
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select street_code
from "warehouse"."open"."open_population_by_street_sex_age"
where street_code is null



  
  
      
    ) dbt_internal_test