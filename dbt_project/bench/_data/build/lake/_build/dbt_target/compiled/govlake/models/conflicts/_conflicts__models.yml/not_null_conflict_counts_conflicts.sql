
    
    



select conflicts
from "warehouse"."conflicts"."conflict_counts"
where conflicts is null


