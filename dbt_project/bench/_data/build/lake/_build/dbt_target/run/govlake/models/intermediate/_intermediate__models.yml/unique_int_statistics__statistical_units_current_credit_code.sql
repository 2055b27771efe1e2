
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    

select
    credit_code as unique_field,
    count(*) as n_records

from "restricted"."intermediate"."int_statistics__statistical_units_current"
where credit_code is not null
group by credit_code
having count(*) > 1



  
  
      
    ) dbt_internal_test