
    
    



select _batch_id
from "restricted"."staging"."stg_tax__tax_registrations"
where _batch_id is null


