
    
    



select indicator_code
from "warehouse"."base"."base_indicator"
where indicator_code is null


