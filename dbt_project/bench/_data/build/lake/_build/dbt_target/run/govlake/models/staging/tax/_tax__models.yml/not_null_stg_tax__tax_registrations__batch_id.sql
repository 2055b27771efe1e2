
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select _batch_id
from "restricted"."staging"."stg_tax__tax_registrations"
where _batch_id is null



  
  
      
    ) dbt_internal_test