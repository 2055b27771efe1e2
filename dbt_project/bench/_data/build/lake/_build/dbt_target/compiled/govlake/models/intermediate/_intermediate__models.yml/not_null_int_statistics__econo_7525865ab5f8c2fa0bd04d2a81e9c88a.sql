
    
    



select indicator_code
from "restricted"."intermediate"."int_statistics__economic_indicators_current"
where indicator_code is null


