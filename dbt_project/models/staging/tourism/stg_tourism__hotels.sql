-- GENERATED from the register (resource hotel); cleaning from column meta
with

source as (

    {{ govlake_source('tourism', 'hotel') }}

),

normalised as (

    select
        *,
        {{ govlake_normalised_identifiers('tourism', 'hotel') }}
    from source

),

renamed as (

    select
        {{ govlake_staged_columns('tourism', 'hotel') }}
    from normalised

)

select * from renamed
