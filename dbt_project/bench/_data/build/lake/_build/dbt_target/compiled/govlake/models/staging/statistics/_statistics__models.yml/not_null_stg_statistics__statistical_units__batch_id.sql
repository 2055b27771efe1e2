
    
    



select _batch_id
from "restricted"."staging"."stg_statistics__statistical_units"
where _batch_id is null


