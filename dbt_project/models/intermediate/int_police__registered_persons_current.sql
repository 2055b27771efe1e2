-- GENERATED from the register (resource registered_person): latest valid row per key
{{ config(unique_key=['citizen_id_key']) }}

with

new_rows as (

    select * from {{ ref('stg_police__registered_persons') }}
    where citizen_id_key is not null
      and is_valid_citizen_id
    {% if is_incremental() %}
      and {{ govlake_new_rows_filter() }}
    {% endif %}

),

candidates as (

    select * from new_rows
    {% if is_incremental() %}
    union all by name
    select * from {{ this }} as current_rows
    where exists (select 1 from new_rows where new_rows.citizen_id_key = current_rows.citizen_id_key)
    {% endif %}

)

select * from candidates
qualify row_number() over (partition by citizen_id_key order by batch_date desc, _ingested_at desc, _source_row desc) = 1
