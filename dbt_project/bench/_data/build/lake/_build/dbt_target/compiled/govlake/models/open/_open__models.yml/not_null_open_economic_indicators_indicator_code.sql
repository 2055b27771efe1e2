
    
    



select indicator_code
from "warehouse"."open"."open_economic_indicators"
where indicator_code is null


