-- GENERATED from the register (resource disability_benefit); cleaning from column meta
with

source as (

    {{ govlake_source('civil_affairs', 'disability_benefit') }}

),

renamed as (

    select
        {{ govlake_staged_columns('civil_affairs', 'disability_benefit') }}
    from source

)

select * from renamed
