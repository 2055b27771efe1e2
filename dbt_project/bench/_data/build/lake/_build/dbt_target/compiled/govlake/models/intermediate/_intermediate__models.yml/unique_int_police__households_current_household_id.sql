
    
    

select
    household_id as unique_field,
    count(*) as n_records

from "restricted"."intermediate"."int_police__households_current"
where household_id is not null
group by household_id
having count(*) > 1


