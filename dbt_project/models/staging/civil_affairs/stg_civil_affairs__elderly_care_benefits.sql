-- GENERATED from the register (resource elderly_care_benefit); cleaning from column meta
with

source as (

    {{ govlake_source('civil_affairs', 'elderly_care_benefit') }}

),

normalised as (

    select
        *,
        {{ govlake_normalised_identifiers('civil_affairs', 'elderly_care_benefit') }}
    from source

),

renamed as (

    select
        {{ govlake_staged_columns('civil_affairs', 'elderly_care_benefit') }}
    from normalised

)

select * from renamed
