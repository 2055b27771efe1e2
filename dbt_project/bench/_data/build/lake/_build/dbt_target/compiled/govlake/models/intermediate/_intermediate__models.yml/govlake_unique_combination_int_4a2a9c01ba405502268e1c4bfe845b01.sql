

select indicator_code, period, region_code, count(*) as n_rows
from "restricted"."intermediate"."int_statistics__economic_indicators_current"
group by all
having count(*) > 1

