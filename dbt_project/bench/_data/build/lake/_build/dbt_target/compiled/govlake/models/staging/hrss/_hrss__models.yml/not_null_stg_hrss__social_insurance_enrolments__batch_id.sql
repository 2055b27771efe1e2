
    
    



select _batch_id
from "restricted"."staging"."stg_hrss__social_insurance_enrolments"
where _batch_id is null


