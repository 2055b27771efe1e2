
    
    



select _batch_id
from "restricted"."staging"."stg_market_regulation__enterprise_registrations"
where _batch_id is null


