-- GENERATED from the register (resource medical_service_volume): latest valid row per key
{{ config(unique_key=['institution_code', 'month']) }}

with

new_rows as (

    select * from {{ ref('stg_health__medical_service_volumes') }}
    where institution_code is not null
      and is_valid_institution_code
      and month is not null
    {% if is_incremental() %}
      and {{ govlake_new_rows_filter() }}
    {% endif %}

),

candidates as (

    select * from new_rows
    {% if is_incremental() %}
    union all by name
    select * from {{ this }} as current_rows
    where exists (select 1 from new_rows where new_rows.institution_code = current_rows.institution_code and new_rows.month = current_rows.month)
    {% endif %}

)

select * from candidates
qualify row_number() over (partition by institution_code, month order by batch_date desc, _ingested_at desc, _source_row desc) = 1
