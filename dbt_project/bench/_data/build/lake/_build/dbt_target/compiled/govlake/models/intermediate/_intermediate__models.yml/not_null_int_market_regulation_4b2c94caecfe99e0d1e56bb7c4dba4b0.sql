
    
    



select credit_code
from "restricted"."intermediate"."int_market_regulation__enterprise_registrations_current"
where credit_code is null


