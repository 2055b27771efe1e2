
    
    



select credit_code
from "restricted"."intermediate"."int_tax__tax_registrations_current"
where credit_code is null


