
    
    



select month
from "restricted"."intermediate"."int_tourism__tourism_monthlies_current"
where month is null


