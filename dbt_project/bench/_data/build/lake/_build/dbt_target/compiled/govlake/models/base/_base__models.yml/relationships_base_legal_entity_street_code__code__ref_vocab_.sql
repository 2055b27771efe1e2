
    
    

with child as (
    select street_code as from_field
    from "warehouse"."base"."base_legal_entity"
    where street_code is not null
),

parent as (
    select code as to_field
    from "warehouse"."reference"."vocab"
)

select
    from_field

from child
left join parent
    on child.from_field = parent.to_field

where parent.to_field is null


