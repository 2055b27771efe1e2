-- GENERATED from the register (resource registered_person); cleaning from column meta
with

source as (

    {{ govlake_source('police', 'registered_person') }}

),

normalised as (

    select
        *,
        {{ govlake_normalised_identifiers('police', 'registered_person') }}
    from source

),

renamed as (

    select
        {{ govlake_staged_columns('police', 'registered_person') }}
    from normalised

)

select * from renamed
