-- GENERATED from the register (resource economic_indicator); cleaning from column meta
with

source as (

    {{ govlake_source('statistics', 'economic_indicator') }}

),

renamed as (

    select
        {{ govlake_staged_columns('statistics', 'economic_indicator') }}
    from source

)

select * from renamed
