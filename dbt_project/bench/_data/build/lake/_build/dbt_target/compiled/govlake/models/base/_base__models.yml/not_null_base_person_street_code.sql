
    
    



select street_code
from "warehouse"."base"."base_person"
where street_code is null


