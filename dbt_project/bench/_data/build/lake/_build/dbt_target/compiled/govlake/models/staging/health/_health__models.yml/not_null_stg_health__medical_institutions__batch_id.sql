
    
    



select _batch_id
from "restricted"."staging"."stg_health__medical_institutions"
where _batch_id is null


