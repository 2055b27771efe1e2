
    
    



select street_code
from "warehouse"."open"."open_population_by_street_sex_age"
where street_code is null


