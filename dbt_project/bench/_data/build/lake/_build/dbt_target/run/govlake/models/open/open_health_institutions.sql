
    
      
    

    create  table
      "warehouse"."open"."open_health_institutions__dbt_tmp"
  
  (
    institution_code varchar,
    institution_name varchar,
    institution_type varchar,
    level varchar,
    beds bigint,
    staff bigint,
    street_code varchar,
    street_name varchar,
    latest_year bigint,
    outpatient_visits_latest_year bigint,
    inpatient_discharges_latest_year bigint
    
    )
 ;
    
    
    insert into "warehouse"."open"."open_health_institutions__dbt_tmp" 
  (
    
      
      
      institution_code ,
    
      
      
      institution_name ,
    
      
      
      institution_type ,
    
      
      
      level ,
    
      
      
      beds ,
    
      
      
      staff ,
    
      
      
      street_code ,
    
      
      
      street_name ,
    
      
      
      latest_year ,
    
      
      
      outpatient_visits_latest_year ,
    
      
      
      inpatient_discharges_latest_year 
    
  )
 (
      
    select institution_code, institution_name, institution_type, level, beds, staff, street_code, street_name, latest_year, outpatient_visits_latest_year, inpatient_discharges_latest_year
    from (
        -- Open: medical institutions with beds, staff and last year's service volumes.
with

institutions as (

    select * from "warehouse"."thematic"."health_institutions"

),

final as (

    select
        institution_code,
        institution_name,
        institution_type,
        level,
        beds,
        staff,
        street_code,
        street_name,
        latest_year,
        outpatient_visits_latest_year,
        inpatient_discharges_latest_year,
    from institutions

)

select * from final
    ) as model_subq
    );
  