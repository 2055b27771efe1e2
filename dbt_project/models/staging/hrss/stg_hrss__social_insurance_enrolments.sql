-- GENERATED from the register (resource social_insurance_enrolment); cleaning from column meta
with

source as (

    {{ govlake_source('hrss', 'social_insurance_enrolment') }}

),

normalised as (

    select
        *,
        {{ govlake_normalised_identifiers('hrss', 'social_insurance_enrolment') }}
    from source

),

renamed as (

    select
        {{ govlake_staged_columns('hrss', 'social_insurance_enrolment') }}
    from normalised

)

select * from renamed
