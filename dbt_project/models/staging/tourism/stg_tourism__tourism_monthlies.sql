-- GENERATED from the register (resource tourism_monthly); cleaning from column meta
with

source as (

    {{ govlake_source('tourism', 'tourism_monthly') }}

),

renamed as (

    select
        {{ govlake_staged_columns('tourism', 'tourism_monthly') }}
    from source

)

select * from renamed
