-- GENERATED from the register (resource investment_project); cleaning from column meta
with

source as (

    {{ govlake_source('development_reform', 'investment_project') }}

),

normalised as (

    select
        *,
        {{ govlake_normalised_identifiers('development_reform', 'investment_project') }}
    from source

),

renamed as (

    select
        {{ govlake_staged_columns('development_reform', 'investment_project') }}
    from normalised

)

select * from renamed
