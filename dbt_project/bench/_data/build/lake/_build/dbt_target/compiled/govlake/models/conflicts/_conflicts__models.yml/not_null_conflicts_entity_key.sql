
    
    



select entity_key
from "restricted"."conflicts"."conflicts"
where entity_key is null


