
    
    

select
    credit_code as unique_field,
    count(*) as n_records

from "warehouse"."base"."base_legal_entity"
where credit_code is not null
group by credit_code
having count(*) > 1


