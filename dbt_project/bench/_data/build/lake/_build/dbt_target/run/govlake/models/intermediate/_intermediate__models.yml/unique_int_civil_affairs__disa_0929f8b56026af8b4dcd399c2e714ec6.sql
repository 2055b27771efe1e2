
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    

select
    citizen_id_key as unique_field,
    count(*) as n_records

from "restricted"."intermediate"."int_civil_affairs__disability_benefits_current"
where citizen_id_key is not null
group by citizen_id_key
having count(*) > 1



  
  
      
    ) dbt_internal_test