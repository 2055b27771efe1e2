
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    

select
    credit_code as unique_field,
    count(*) as n_records

from "restricted"."intermediate"."int_market_regulation__enterprise_registrations_current"
where credit_code is not null
group by credit_code
having count(*) > 1



  
  
      
    ) dbt_internal_test