-- GENERATED from the register (resource elderly_care_benefit); cleaning from column meta
with

source as (

    {{ govlake_source('civil_affairs', 'elderly_care_benefit') }}

),

renamed as (

    select
        {{ govlake_staged_columns('civil_affairs', 'elderly_care_benefit') }}
    from source

)

select * from renamed
