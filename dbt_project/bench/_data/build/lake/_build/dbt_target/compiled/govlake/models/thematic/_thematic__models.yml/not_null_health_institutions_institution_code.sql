
    
    



select institution_code
from "warehouse"."thematic"."health_institutions"
where institution_code is null


