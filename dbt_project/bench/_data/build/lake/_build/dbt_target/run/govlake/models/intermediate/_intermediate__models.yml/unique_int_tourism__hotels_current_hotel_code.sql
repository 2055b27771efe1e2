
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    

select
    hotel_code as unique_field,
    count(*) as n_records

from "restricted"."intermediate"."int_tourism__hotels_current"
where hotel_code is not null
group by hotel_code
having count(*) > 1



  
  
      
    ) dbt_internal_test