-- GENERATED from the register (resource tourism_monthly); cleaning from column meta
with

source as (

    {{ govlake_source('tourism', 'tourism_monthly') }}

),

normalised as (

    select
        *,
        {{ govlake_normalised_identifiers('tourism', 'tourism_monthly') }}
    from source

),

renamed as (

    select
        {{ govlake_staged_columns('tourism', 'tourism_monthly') }}
    from normalised

)

select * from renamed
