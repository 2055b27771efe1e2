-- GENERATED from the register (resource disability_benefit); cleaning from column meta
with

source as (

    {{ govlake_source('civil_affairs', 'disability_benefit') }}

),

normalised as (

    select
        *,
        {{ govlake_normalised_identifiers('civil_affairs', 'disability_benefit') }}
    from source

),

renamed as (

    select
        {{ govlake_staged_columns('civil_affairs', 'disability_benefit') }}
    from normalised

)

select * from renamed
