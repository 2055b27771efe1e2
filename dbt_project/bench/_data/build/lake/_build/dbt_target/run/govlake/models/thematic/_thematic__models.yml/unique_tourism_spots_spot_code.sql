
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    

select
    spot_code as unique_field,
    count(*) as n_records

from "warehouse"."thematic"."tourism_spots"
where spot_code is not null
group by spot_code
having count(*) > 1



  
  
      
    ) dbt_internal_test