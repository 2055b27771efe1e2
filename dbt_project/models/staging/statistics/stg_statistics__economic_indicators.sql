-- GENERATED from the register (resource economic_indicator); cleaning from column meta
with

source as (

    {{ govlake_source('statistics', 'economic_indicator') }}

),

normalised as (

    select
        *,
        {{ govlake_normalised_identifiers('statistics', 'economic_indicator') }}
    from source

),

renamed as (

    select
        {{ govlake_staged_columns('statistics', 'economic_indicator') }}
    from normalised

)

select * from renamed
