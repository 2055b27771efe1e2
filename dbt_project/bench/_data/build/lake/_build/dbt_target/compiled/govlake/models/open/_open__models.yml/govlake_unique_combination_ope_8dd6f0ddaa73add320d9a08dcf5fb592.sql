

select indicator_code, period, region_code, count(*) as n_rows
from "warehouse"."open"."open_economic_indicators"
group by all
having count(*) > 1

