

select month, street_code, count(*) as n_rows
from "warehouse"."thematic"."health_service_monthly"
group by all
having count(*) > 1

