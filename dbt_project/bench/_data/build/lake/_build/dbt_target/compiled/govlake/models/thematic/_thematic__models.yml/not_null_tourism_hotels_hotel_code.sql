
    
    



select hotel_code
from "warehouse"."thematic"."tourism_hotels"
where hotel_code is null


