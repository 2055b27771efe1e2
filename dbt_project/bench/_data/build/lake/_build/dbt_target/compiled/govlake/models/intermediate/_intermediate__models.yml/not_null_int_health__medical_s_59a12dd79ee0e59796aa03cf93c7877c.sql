
    
    



select institution_code
from "restricted"."intermediate"."int_health__medical_service_volumes_current"
where institution_code is null


