-- GENERATED from the register (resource hotel); cleaning from column meta
with

source as (

    {{ govlake_source('tourism', 'hotel') }}

),

renamed as (

    select
        {{ govlake_staged_columns('tourism', 'hotel') }}
    from source

)

select * from renamed
