
    
    



select credit_code
from "warehouse"."base"."base_legal_entity"
where credit_code is null


