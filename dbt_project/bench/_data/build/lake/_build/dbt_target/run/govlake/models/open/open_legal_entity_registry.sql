
    
      
    

    create  table
      "warehouse"."open"."open_legal_entity_registry__dbt_tmp"
  
  (
    credit_code varchar,
    entity_name varchar,
    entity_type varchar,
    registered_capital decimal(18,4),
    established_date date,
    status varchar,
    industry_code varchar,
    industry_section_name varchar,
    address varchar,
    street_code varchar,
    street_name varchar
    
    )
 ;
    
    
    insert into "warehouse"."open"."open_legal_entity_registry__dbt_tmp" 
  (
    
      
      
      credit_code ,
    
      
      
      entity_name ,
    
      
      
      entity_type ,
    
      
      
      registered_capital ,
    
      
      
      established_date ,
    
      
      
      status ,
    
      
      
      industry_code ,
    
      
      
      industry_section_name ,
    
      
      
      address ,
    
      
      
      street_code ,
    
      
      
      street_name 
    
  )
 (
      
    select credit_code, entity_name, entity_type, registered_capital, established_date, status, industry_code, industry_section_name, address, street_code, street_name
    from (
        -- Open: the public registry of market entities (市场主体登记), public fields of the register only
-- (the legal representative is personal and never published).
with

registrations as (

    select * from "restricted"."intermediate"."int_market_regulation__enterprise_registrations_current"

),

legal_entities as (

    select * from "warehouse"."base"."base_legal_entity"

),

final as (

    select
        registrations.credit_code,
        registrations.entity_name,
        registrations.entity_type,
        registrations.registered_capital,
        registrations.established_date,
        registrations.status,
        registrations.industry_code,
        legal_entities.industry_section_name,
        registrations.address,
        registrations.street_code,
        legal_entities.street_name,
    from registrations
    left join legal_entities on legal_entities.credit_code = registrations.credit_code

)

select * from final
    ) as model_subq
    );
  