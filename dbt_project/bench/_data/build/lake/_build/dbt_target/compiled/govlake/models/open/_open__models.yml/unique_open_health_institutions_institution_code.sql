
    
    

select
    institution_code as unique_field,
    count(*) as n_records

from "warehouse"."open"."open_health_institutions"
where institution_code is not null
group by institution_code
having count(*) > 1


