-- GENERATED from the register (resource scenic_spot); cleaning from column meta
with

source as (

    {{ govlake_source('tourism', 'scenic_spot') }}

),

renamed as (

    select
        {{ govlake_staged_columns('tourism', 'scenic_spot') }}
    from source

)

select * from renamed
