
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  

select *
from "warehouse"."open"."open_population_by_street_sex_age"
where population is not null and population < 10


  
  
      
    ) dbt_internal_test