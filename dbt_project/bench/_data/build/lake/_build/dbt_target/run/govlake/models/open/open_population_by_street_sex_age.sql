
    
      
    

    create  table
      "warehouse"."open"."open_population_by_street_sex_age__dbt_tmp"
  
  (
    street_code varchar,
    street_name varchar,
    sex varchar,
    age_band varchar,
    population bigint,
    is_suppressed boolean,
    is_total boolean,
    as_of_date date
    
    )
 ;
    
    
    insert into "warehouse"."open"."open_population_by_street_sex_age__dbt_tmp" 
  (
    
      
      
      street_code ,
    
      
      
      street_name ,
    
      
      
      sex ,
    
      
      
      age_band ,
    
      
      
      population ,
    
      
      
      is_suppressed ,
    
      
      
      is_total ,
    
      
      
      as_of_date 
    
  )
 (
      
    select street_code, street_name, sex, age_band, population, is_suppressed, is_total, as_of_date
    from (
        -- Open: resident population by sub-district (街道) x sex x age band, with the district (石景山区)
-- and 合计 totals. Cells under 10 are suppressed (population null), and enough others that no
-- suppressed cell can be recovered from the published totals.
with

cube as (

    select * from "restricted"."intermediate"."int_population_cube_suppressed"

),

final as (

    select
        cast(street_code as varchar) as street_code,
        cast(street_name as varchar) as street_name,
        cast(sex as varchar) as sex,
        cast(age_band as varchar) as age_band,
        cast(population as bigint) as population,
        cast(is_suppressed as boolean) as is_suppressed,
        cast(is_total as boolean) as is_total,
        cast(as_of_date as date) as as_of_date,
    from cube

)

select * from final
    ) as model_subq
    );
  