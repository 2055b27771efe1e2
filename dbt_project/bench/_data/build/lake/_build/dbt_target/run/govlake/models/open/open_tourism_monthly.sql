
    
      
    

    create  table
      "warehouse"."open"."open_tourism_monthly__dbt_tmp"
  
  (
    spot_code varchar,
    spot_name varchar,
    a_level varchar,
    street_name varchar,
    month date,
    visitors bigint,
    revenue decimal(18,4)
    
    )
 ;
    
    
    insert into "warehouse"."open"."open_tourism_monthly__dbt_tmp" 
  (
    
      
      
      spot_code ,
    
      
      
      spot_name ,
    
      
      
      a_level ,
    
      
      
      street_name ,
    
      
      
      month ,
    
      
      
      visitors ,
    
      
      
      revenue 
    
  )
 (
      
    select spot_code, spot_name, a_level, street_name, month, visitors, revenue
    from (
        -- Open: visitors and tourism revenue per A-level scenic spot and month.
with

monthly as (

    select * from "warehouse"."thematic"."tourism_monthly"

),

final as (

    select
        spot_code,
        spot_name,
        a_level,
        street_name,
        month,
        visitors,
        revenue,
    from monthly

)

select * from final
    ) as model_subq
    );
  