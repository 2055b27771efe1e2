
    
    

select
    spot_code as unique_field,
    count(*) as n_records

from "restricted"."intermediate"."int_tourism__scenic_spots_current"
where spot_code is not null
group by spot_code
having count(*) > 1


