-- GENERATED from the register (resource elderly_care_benefit): latest valid row per key
{{ config(unique_key=['citizen_id_key', 'benefit_type']) }}

with

new_rows as (

    select * from {{ ref('stg_civil_affairs__elderly_care_benefits') }}
    where citizen_id_key is not null
      and is_valid_citizen_id
      and benefit_type is not null
    {% if is_incremental() %}
      and {{ govlake_new_rows_filter() }}
    {% endif %}

),

candidates as (

    select * from new_rows
    {% if is_incremental() %}
    union all by name
    select * from {{ this }} as current_rows
    where exists (select 1 from new_rows where new_rows.citizen_id_key = current_rows.citizen_id_key and new_rows.benefit_type = current_rows.benefit_type)
    {% endif %}

)

select * from candidates
qualify row_number() over (partition by citizen_id_key, benefit_type order by batch_date desc, _ingested_at desc, _source_row desc) = 1
