-- GENERATED from the register (resource enterprise_registration); cleaning from column meta
with

source as (

    {{ govlake_source('market_regulation', 'enterprise_registration') }}

),

normalised as (

    select
        *,
        {{ govlake_normalised_identifiers('market_regulation', 'enterprise_registration') }}
    from source

),

renamed as (

    select
        {{ govlake_staged_columns('market_regulation', 'enterprise_registration') }}
    from normalised

)

select * from renamed
