
    
    

select
    credit_code as unique_field,
    count(*) as n_records

from "restricted"."intermediate"."int_tax__tax_registrations_current"
where credit_code is not null
group by credit_code
having count(*) > 1


