
    
    

select
    institution_code as unique_field,
    count(*) as n_records

from "restricted"."intermediate"."int_health__medical_institutions_current"
where institution_code is not null
group by institution_code
having count(*) > 1


