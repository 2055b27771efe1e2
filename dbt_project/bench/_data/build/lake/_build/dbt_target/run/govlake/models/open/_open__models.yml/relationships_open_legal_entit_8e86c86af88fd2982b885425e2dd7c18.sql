
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    

with child as (
    select credit_code as from_field
    from "warehouse"."open"."open_legal_entity_registry"
    where credit_code is not null
),

parent as (
    select credit_code as to_field
    from "warehouse"."base"."base_legal_entity"
)

select
    from_field

from child
left join parent
    on child.from_field = parent.to_field

where parent.to_field is null



  
  
      
    ) dbt_internal_test