
    
    



select hotel_code
from "restricted"."intermediate"."int_tourism__hotels_current"
where hotel_code is null


