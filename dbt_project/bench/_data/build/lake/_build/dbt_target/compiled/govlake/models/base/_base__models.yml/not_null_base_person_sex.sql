
    
    



select sex
from "warehouse"."base"."base_person"
where sex is null


