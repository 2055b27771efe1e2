
    
    



select month
from "warehouse"."thematic"."health_service_monthly"
where month is null


