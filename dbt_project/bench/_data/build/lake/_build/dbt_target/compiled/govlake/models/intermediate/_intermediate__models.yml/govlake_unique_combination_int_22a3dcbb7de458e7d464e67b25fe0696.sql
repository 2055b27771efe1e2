

select spot_code, month, count(*) as n_rows
from "restricted"."intermediate"."int_tourism__tourism_monthlies_current"
group by all
having count(*) > 1

