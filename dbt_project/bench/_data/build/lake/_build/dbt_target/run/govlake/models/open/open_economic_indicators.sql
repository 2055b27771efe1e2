
    
      
    

    create  table
      "warehouse"."open"."open_economic_indicators__dbt_tmp"
  
  (
    indicator_code varchar,
    indicator_name varchar,
    unit varchar,
    period varchar,
    period_type varchar,
    region_code varchar,
    value decimal(18,4),
    revision bigint,
    yoy_growth_pct double
    
    )
 ;
    
    
    insert into "warehouse"."open"."open_economic_indicators__dbt_tmp" 
  (
    
      
      
      indicator_code ,
    
      
      
      indicator_name ,
    
      
      
      unit ,
    
      
      
      period ,
    
      
      
      period_type ,
    
      
      
      region_code ,
    
      
      
      value ,
    
      
      
      revision ,
    
      
      
      yoy_growth_pct 
    
  )
 (
      
    select indicator_code, indicator_name, unit, period, period_type, region_code, value, revision, yoy_growth_pct
    from (
        -- Open: the district's main economic indicators (latest revision) with year-on-year growth.
with

indicators as (

    select * from "warehouse"."base"."base_indicator"

),

final as (

    select
        indicator_code,
        indicator_name,
        unit,
        period,
        period_type,
        region_code,
        value,
        revision,
        yoy_growth_pct,
    from indicators

)

select * from final
    ) as model_subq
    );
  