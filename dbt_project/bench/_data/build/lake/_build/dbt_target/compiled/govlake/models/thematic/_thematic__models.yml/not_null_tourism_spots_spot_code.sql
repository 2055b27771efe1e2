
    
    



select spot_code
from "warehouse"."thematic"."tourism_spots"
where spot_code is null


