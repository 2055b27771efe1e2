-- 卫生健康 theme: one row per medical institution, with its last full year's service volumes.
with

institutions as (

    select * from "restricted"."intermediate"."int_health__medical_institutions_current"

),

volumes as (

    select * from "restricted"."intermediate"."int_health__medical_service_volumes_current"

),

latest_year as (

    select max(year(month)) as latest_year from volumes

),

yearly as (

    select
        volumes.institution_code,
        cast(sum(volumes.outpatient_visits) as bigint) as outpatient_visits_latest_year,
        cast(sum(volumes.inpatient_discharges) as bigint) as inpatient_discharges_latest_year,
    from volumes
    inner join latest_year on year(volumes.month) = latest_year.latest_year
    group by all

),

streets as (

    select * from (select code, label from "warehouse"."reference"."vocab" where vocab = 'street')

),

final as (

    select
        institutions.institution_code,
        institutions.institution_name,
        institutions.institution_type,
        institutions.level,
        institutions.beds,
        institutions.staff,
        institutions.street_code,
        streets.label as street_name,
        latest_year.latest_year,
        yearly.outpatient_visits_latest_year,
        yearly.inpatient_discharges_latest_year,
    from institutions
    cross join latest_year
    left join yearly on yearly.institution_code = institutions.institution_code
    left join streets on streets.code = institutions.street_code

)

select * from final