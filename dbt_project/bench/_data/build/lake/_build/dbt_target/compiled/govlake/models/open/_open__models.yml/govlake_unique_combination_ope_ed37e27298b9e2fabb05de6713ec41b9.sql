

select spot_code, month, count(*) as n_rows
from "warehouse"."open"."open_tourism_monthly"
group by all
having count(*) > 1

