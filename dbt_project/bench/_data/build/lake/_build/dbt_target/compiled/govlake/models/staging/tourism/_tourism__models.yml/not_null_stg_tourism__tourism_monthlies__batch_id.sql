
    
    



select _batch_id
from "restricted"."staging"."stg_tourism__tourism_monthlies"
where _batch_id is null


