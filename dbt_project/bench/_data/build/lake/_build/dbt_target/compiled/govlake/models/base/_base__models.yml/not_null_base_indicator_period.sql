
    
    



select period
from "warehouse"."base"."base_indicator"
where period is null


