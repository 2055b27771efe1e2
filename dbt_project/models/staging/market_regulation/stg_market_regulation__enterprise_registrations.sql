-- GENERATED from the register (resource enterprise_registration); cleaning from column meta
with

source as (

    {{ govlake_source('market_regulation', 'enterprise_registration') }}

),

renamed as (

    select
        {{ govlake_staged_columns('market_regulation', 'enterprise_registration') }}
    from source

)

select * from renamed
