
    
    



select spot_code
from "restricted"."intermediate"."int_tourism__scenic_spots_current"
where spot_code is null


