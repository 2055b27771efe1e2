
    
    



select _batch_id
from "restricted"."staging"."stg_health__medical_service_volumes"
where _batch_id is null


