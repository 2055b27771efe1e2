-- GENERATED from the register (resource statistical_unit); cleaning from column meta
with

source as (

    {{ govlake_source('statistics', 'statistical_unit') }}

),

normalised as (

    select
        *,
        {{ govlake_normalised_identifiers('statistics', 'statistical_unit') }}
    from source

),

renamed as (

    select
        {{ govlake_staged_columns('statistics', 'statistical_unit') }}
    from normalised

)

select * from renamed
