

select street_code, sex, age_band, count(*) as n_rows
from "warehouse"."open"."open_population_by_street_sex_age"
group by all
having count(*) > 1

