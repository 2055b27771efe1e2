
    
    



select region_code
from "restricted"."intermediate"."int_statistics__economic_indicators_current"
where region_code is null


