
    
    



select citizen_id_key
from "restricted"."intermediate"."int_civil_affairs__elderly_care_benefits_current"
where citizen_id_key is null


