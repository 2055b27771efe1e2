

select spot_code, month, count(*) as n_rows
from "warehouse"."thematic"."tourism_monthly"
group by all
having count(*) > 1

