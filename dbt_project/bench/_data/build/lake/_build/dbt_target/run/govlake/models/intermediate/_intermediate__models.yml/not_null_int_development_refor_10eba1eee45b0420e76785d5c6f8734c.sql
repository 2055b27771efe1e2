
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select project_code
from "restricted"."intermediate"."int_development_reform__investment_projects_current"
where project_code is null



  
  
      
    ) dbt_internal_test