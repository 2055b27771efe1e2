-- GENERATED from the register (resource tax_registration); cleaning from column meta
with

source as (

    {{ govlake_source('tax', 'tax_registration') }}

),

renamed as (

    select
        {{ govlake_staged_columns('tax', 'tax_registration') }}
    from source

)

select * from renamed
