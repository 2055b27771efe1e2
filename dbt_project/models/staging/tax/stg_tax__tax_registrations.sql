-- GENERATED from the register (resource tax_registration); cleaning from column meta
with

source as (

    {{ govlake_source('tax', 'tax_registration') }}

),

normalised as (

    select
        *,
        {{ govlake_normalised_identifiers('tax', 'tax_registration') }}
    from source

),

renamed as (

    select
        {{ govlake_staged_columns('tax', 'tax_registration') }}
    from normalised

)

select * from renamed
