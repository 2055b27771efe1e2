
    

    create  table
      "warehouse"."thematic"."health_service_monthly__dbt_tmp"
  
    
    as (
      -- 卫生健康 theme: monthly service volumes and beds per sub-district.
with

volumes as (

    select * from "restricted"."intermediate"."int_health__medical_service_volumes_current"

),

institutions as (

    select * from "warehouse"."thematic"."health_institutions"

),

final as (

    select
        volumes.month,
        institutions.street_code,
        institutions.street_name,
        count(*) as institutions,
        cast(sum(institutions.beds) as bigint) as beds,
        cast(sum(volumes.outpatient_visits) as bigint) as outpatient_visits,
        cast(sum(volumes.inpatient_discharges) as bigint) as inpatient_discharges,
        cast(sum(volumes.bed_days) as bigint) as bed_days,
    from volumes
    inner join institutions on institutions.institution_code = volumes.institution_code
    group by all

)

select * from final
    );
    
  