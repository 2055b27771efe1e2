-- GENERATED from the register (resource investment_project); cleaning from column meta
with

source as (

    {{ govlake_source('development_reform', 'investment_project') }}

),

renamed as (

    select
        {{ govlake_staged_columns('development_reform', 'investment_project') }}
    from source

)

select * from renamed
