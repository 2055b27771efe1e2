
    
    

select
    household_id as unique_field,
    count(*) as n_records

from "warehouse"."base"."base_household"
where household_id is not null
group by household_id
having count(*) > 1


