
    
    



select spot_code
from "restricted"."intermediate"."int_tourism__tourism_monthlies_current"
where spot_code is null


