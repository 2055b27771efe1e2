

select indicator_code, period, region_code, count(*) as n_rows
from "warehouse"."base"."base_indicator"
group by all
having count(*) > 1

