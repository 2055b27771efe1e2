
    
    



select project_code
from "restricted"."intermediate"."int_development_reform__investment_projects_current"
where project_code is null


