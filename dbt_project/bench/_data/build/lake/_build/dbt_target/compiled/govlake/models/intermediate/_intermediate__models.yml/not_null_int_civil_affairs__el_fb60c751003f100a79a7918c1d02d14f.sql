
    
    



select benefit_type
from "restricted"."intermediate"."int_civil_affairs__elderly_care_benefits_current"
where benefit_type is null


