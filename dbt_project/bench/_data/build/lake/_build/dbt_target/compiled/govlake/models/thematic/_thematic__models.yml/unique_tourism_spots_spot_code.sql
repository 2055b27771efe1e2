
    
    

select
    spot_code as unique_field,
    count(*) as n_records

from "warehouse"."thematic"."tourism_spots"
where spot_code is not null
group by spot_code
having count(*) > 1


