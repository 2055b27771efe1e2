-- GENERATED from the register (resource household); cleaning from column meta
with

source as (

    {{ govlake_source('police', 'household') }}

),

renamed as (

    select
        {{ govlake_staged_columns('police', 'household') }}
    from source

)

select * from renamed
