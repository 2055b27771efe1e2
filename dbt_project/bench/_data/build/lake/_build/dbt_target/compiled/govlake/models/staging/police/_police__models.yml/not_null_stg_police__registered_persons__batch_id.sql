
    
    



select _batch_id
from "restricted"."staging"."stg_police__registered_persons"
where _batch_id is null


