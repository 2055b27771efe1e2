
    
    



select household_id
from "restricted"."intermediate"."int_police__households_current"
where household_id is null


