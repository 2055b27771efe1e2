
    
    

with child as (
    select spot_code as from_field
    from "warehouse"."thematic"."tourism_monthly"
    where spot_code is not null
),

parent as (
    select spot_code as to_field
    from "warehouse"."thematic"."tourism_spots"
)

select
    from_field

from child
left join parent
    on child.from_field = parent.to_field

where parent.to_field is null


