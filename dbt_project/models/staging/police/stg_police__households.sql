-- GENERATED from the register (resource household); cleaning from column meta
with

source as (

    {{ govlake_source('police', 'household') }}

),

normalised as (

    select
        *,
        {{ govlake_normalised_identifiers('police', 'household') }}
    from source

),

renamed as (

    select
        {{ govlake_staged_columns('police', 'household') }}
    from normalised

)

select * from renamed
