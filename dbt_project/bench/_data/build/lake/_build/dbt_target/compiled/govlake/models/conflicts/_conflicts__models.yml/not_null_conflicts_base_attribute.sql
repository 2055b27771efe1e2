
    
    



select base_attribute
from "restricted"."conflicts"."conflicts"
where base_attribute is null


