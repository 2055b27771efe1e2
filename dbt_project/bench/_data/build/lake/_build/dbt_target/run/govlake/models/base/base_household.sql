
    
      
    

    create  table
      "warehouse"."base"."base_household__dbt_tmp"
  
  (
    household_id varchar,
    head_person_key varchar,
    household_type varchar,
    street_code varchar,
    street_name varchar,
    member_count bigint,
    registered_members bigint,
    source_batch_id varchar,
    as_of_date date
    
    )
 ;
    
    
    insert into "warehouse"."base"."base_household__dbt_tmp" 
  (
    
      
      
      household_id ,
    
      
      
      head_person_key ,
    
      
      
      household_type ,
    
      
      
      street_code ,
    
      
      
      street_name ,
    
      
      
      member_count ,
    
      
      
      registered_members ,
    
      
      
      source_batch_id ,
    
      
      
      as_of_date 
    
  )
 (
      
    select household_id, head_person_key, household_type, street_code, street_name, member_count, registered_members, source_batch_id, as_of_date
    from (
        -- 人口基础库: one row per household (户) of the police household register, with the members the
-- person register links to it. The address is personal and stays in the restricted zone.
with

households as (

    select * from "restricted"."intermediate"."int_police__households_current"

),

members as (

    select household_id, count(*) as registered_members
    from "warehouse"."base"."base_person"
    group by all

),

streets as (

    select * from (select code, label from "warehouse"."reference"."vocab" where vocab = 'street')

),

final as (

    select
        households.household_id,
        households.head_citizen_id_key as head_person_key,
        households.household_type,
        households.street_code,
        streets.label as street_name,
        households.member_count,
        coalesce(members.registered_members, 0) as registered_members,
        households._batch_id as source_batch_id,
        households.batch_date as as_of_date,
    from households
    left join members on members.household_id = households.household_id
    left join streets on streets.code = households.street_code

)

select * from final
    ) as model_subq
    );
  