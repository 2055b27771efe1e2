
    
    

select
    project_code as unique_field,
    count(*) as n_records

from "restricted"."intermediate"."int_development_reform__investment_projects_current"
where project_code is not null
group by project_code
having count(*) > 1


