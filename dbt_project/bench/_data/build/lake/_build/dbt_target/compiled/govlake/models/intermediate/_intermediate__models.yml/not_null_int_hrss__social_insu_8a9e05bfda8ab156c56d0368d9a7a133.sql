
    
    



select citizen_id_key
from "restricted"."intermediate"."int_hrss__social_insurance_enrolments_current"
where citizen_id_key is null


