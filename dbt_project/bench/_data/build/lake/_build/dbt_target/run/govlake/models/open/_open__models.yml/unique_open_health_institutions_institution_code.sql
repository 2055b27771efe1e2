
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    

select
    institution_code as unique_field,
    count(*) as n_records

from "warehouse"."open"."open_health_institutions"
where institution_code is not null
group by institution_code
having count(*) > 1



  
  
      
    ) dbt_internal_test