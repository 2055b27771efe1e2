
    
    



select _batch_id
from "restricted"."staging"."stg_tourism__scenic_spots"
where _batch_id is null


