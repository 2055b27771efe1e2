
    
    



select spot_code
from "warehouse"."open"."open_tourism_monthly"
where spot_code is null


