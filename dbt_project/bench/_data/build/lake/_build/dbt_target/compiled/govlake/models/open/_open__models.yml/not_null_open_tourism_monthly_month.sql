
    
    



select month
from "warehouse"."open"."open_tourism_monthly"
where month is null


