
    
    



select period
from "restricted"."intermediate"."int_statistics__economic_indicators_current"
where period is null


