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