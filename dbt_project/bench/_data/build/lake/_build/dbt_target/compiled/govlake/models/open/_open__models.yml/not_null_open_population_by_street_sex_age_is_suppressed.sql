
    
    



select is_suppressed
from "warehouse"."open"."open_population_by_street_sex_age"
where is_suppressed is null


