
    
    



select street_code
from "warehouse"."thematic"."health_institutions"
where street_code is null


