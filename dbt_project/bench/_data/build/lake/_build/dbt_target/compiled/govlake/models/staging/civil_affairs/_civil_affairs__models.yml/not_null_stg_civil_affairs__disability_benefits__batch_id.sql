
    
    



select _batch_id
from "restricted"."staging"."stg_civil_affairs__disability_benefits"
where _batch_id is null


