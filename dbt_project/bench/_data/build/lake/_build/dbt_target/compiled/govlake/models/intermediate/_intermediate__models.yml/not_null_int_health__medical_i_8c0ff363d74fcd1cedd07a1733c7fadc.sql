
    
    



select institution_code
from "restricted"."intermediate"."int_health__medical_institutions_current"
where institution_code is null


