
    
    



select _batch_id
from "restricted"."staging"."stg_tourism__hotels"
where _batch_id is null


