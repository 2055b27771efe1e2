-- GENERATED from the register (resource medical_institution); cleaning from column meta
with

source as (

    {{ govlake_source('health', 'medical_institution') }}

),

normalised as (

    select
        *,
        {{ govlake_normalised_identifiers('health', 'medical_institution') }}
    from source

),

renamed as (

    select
        {{ govlake_staged_columns('health', 'medical_institution') }}
    from normalised

)

select * from renamed
