
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select age_band
from "warehouse"."open"."open_population_by_street_sex_age"
where age_band is null



  
  
      
    ) dbt_internal_test