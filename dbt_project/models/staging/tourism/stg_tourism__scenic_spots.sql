-- GENERATED from the register (resource scenic_spot); cleaning from column meta
with

source as (

    {{ govlake_source('tourism', 'scenic_spot') }}

),

normalised as (

    select
        *,
        {{ govlake_normalised_identifiers('tourism', 'scenic_spot') }}
    from source

),

renamed as (

    select
        {{ govlake_staged_columns('tourism', 'scenic_spot') }}
    from normalised

)

select * from renamed
