
    
    



select spot_code
from "warehouse"."thematic"."tourism_monthly"
where spot_code is null


