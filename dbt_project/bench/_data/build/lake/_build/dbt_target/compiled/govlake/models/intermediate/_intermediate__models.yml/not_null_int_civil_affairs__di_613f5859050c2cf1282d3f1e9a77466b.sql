
    
    



select citizen_id_key
from "restricted"."intermediate"."int_civil_affairs__disability_benefits_current"
where citizen_id_key is null


