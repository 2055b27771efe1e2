
    
    



select citizen_id_key
from "restricted"."intermediate"."int_police__registered_persons_current"
where citizen_id_key is null


