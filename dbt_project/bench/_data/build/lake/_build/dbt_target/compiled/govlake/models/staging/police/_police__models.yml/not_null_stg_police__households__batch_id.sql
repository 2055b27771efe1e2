
    
    



select _batch_id
from "restricted"."staging"."stg_police__households"
where _batch_id is null


