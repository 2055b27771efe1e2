
    
    



select month
from "restricted"."intermediate"."int_health__medical_service_volumes_current"
where month is null


