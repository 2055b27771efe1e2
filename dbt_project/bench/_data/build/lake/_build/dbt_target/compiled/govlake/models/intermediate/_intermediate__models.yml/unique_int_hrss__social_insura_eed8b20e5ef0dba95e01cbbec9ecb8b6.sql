
    
    

select
    citizen_id_key as unique_field,
    count(*) as n_records

from "restricted"."intermediate"."int_hrss__social_insurance_enrolments_current"
where citizen_id_key is not null
group by citizen_id_key
having count(*) > 1


