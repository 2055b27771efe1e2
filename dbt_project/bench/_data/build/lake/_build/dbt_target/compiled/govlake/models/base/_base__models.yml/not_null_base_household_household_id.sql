
    
    



select household_id
from "warehouse"."base"."base_household"
where household_id is null


