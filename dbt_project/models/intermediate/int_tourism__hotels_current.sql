-- GENERATED from the register (resource hotel): latest valid row per key
{{ config(unique_key=['hotel_code']) }}

with

new_rows as (

    select * from {{ ref('stg_tourism__hotels') }}
    where hotel_code is not null
      and is_valid_hotel_code
    {% if is_incremental() %}
      and {{ govlake_new_rows_filter() }}
    {% endif %}

),

candidates as (

    select * from new_rows
    {% if is_incremental() %}
    union all by name
    select * from {{ this }} as current_rows
    where exists (select 1 from new_rows where new_rows.hotel_code = current_rows.hotel_code)
    {% endif %}

)

select * from candidates
qualify row_number() over (partition by hotel_code order by batch_date desc, _ingested_at desc, _source_row desc) = 1
