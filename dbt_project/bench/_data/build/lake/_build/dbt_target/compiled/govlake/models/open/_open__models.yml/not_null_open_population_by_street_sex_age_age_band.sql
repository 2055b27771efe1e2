
    
    



select age_band
from "warehouse"."open"."open_population_by_street_sex_age"
where age_band is null


