

select *
from "warehouse"."open"."open_population_by_street_sex_age"
where population is not null and population < 10

