-- GENERATED from the register (resource medical_service_volume); cleaning from column meta
with

source as (

    {{ govlake_source('health', 'medical_service_volume') }}

),

normalised as (

    select
        *,
        {{ govlake_normalised_identifiers('health', 'medical_service_volume') }}
    from source

),

renamed as (

    select
        {{ govlake_staged_columns('health', 'medical_service_volume') }}
    from normalised

)

select * from renamed
