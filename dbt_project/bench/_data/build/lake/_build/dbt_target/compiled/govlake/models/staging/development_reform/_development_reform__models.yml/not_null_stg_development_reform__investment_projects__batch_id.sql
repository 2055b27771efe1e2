
    
    



select _batch_id
from "restricted"."staging"."stg_development_reform__investment_projects"
where _batch_id is null


