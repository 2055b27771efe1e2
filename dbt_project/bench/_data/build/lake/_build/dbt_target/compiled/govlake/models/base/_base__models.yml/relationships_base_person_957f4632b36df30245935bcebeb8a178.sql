
    
    

with child as (
    select household_id as from_field
    from "warehouse"."base"."base_person"
    where household_id is not null
),

parent as (
    select household_id as to_field
    from "warehouse"."base"."base_household"
)

select
    from_field

from child
left join parent
    on child.from_field = parent.to_field

where parent.to_field is null


