
    
    



select base_attribute
from "warehouse"."conflicts"."conflict_counts"
where base_attribute is null


