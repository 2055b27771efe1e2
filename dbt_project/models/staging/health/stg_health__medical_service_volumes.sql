-- GENERATED from the register (resource medical_service_volume); cleaning from column meta
with

source as (

    {{ govlake_source('health', 'medical_service_volume') }}

),

renamed as (

    select
        {{ govlake_staged_columns('health', 'medical_service_volume') }}
    from source

)

select * from renamed
