
    
    



select institution_code
from "warehouse"."open"."open_health_institutions"
where institution_code is null


