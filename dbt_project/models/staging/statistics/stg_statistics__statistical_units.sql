-- GENERATED from the register (resource statistical_unit); cleaning from column meta
with

source as (

    {{ govlake_source('statistics', 'statistical_unit') }}

),

renamed as (

    select
        {{ govlake_staged_columns('statistics', 'statistical_unit') }}
    from source

)

select * from renamed
