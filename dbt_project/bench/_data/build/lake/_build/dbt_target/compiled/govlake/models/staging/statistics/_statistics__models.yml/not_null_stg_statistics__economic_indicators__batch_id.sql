
    
    



select _batch_id
from "restricted"."staging"."stg_statistics__economic_indicators"
where _batch_id is null


