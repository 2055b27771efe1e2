
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  

select citizen_id_key, benefit_type, count(*) as n_rows
from "restricted"."intermediate"."int_civil_affairs__elderly_care_benefits_current"
group by all
having count(*) > 1


  
  
      
    ) dbt_internal_test