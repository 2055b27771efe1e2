
    
    



select credit_code
from "restricted"."intermediate"."int_statistics__statistical_units_current"
where credit_code is null


