-- GENERATED from the register (resource registered_person); cleaning from column meta
with

source as (

    {{ govlake_source('police', 'registered_person') }}

),

renamed as (

    select
        {{ govlake_staged_columns('police', 'registered_person') }}
    from source

)

select * from renamed
