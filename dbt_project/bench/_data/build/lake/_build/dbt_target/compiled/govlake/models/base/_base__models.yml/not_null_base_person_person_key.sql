
    
    



select person_key
from "warehouse"."base"."base_person"
where person_key is null


