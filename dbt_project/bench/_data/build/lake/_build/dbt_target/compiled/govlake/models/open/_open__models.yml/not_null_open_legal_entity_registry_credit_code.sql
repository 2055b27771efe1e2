
    
    



select credit_code
from "warehouse"."open"."open_legal_entity_registry"
where credit_code is null


