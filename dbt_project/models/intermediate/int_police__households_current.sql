-- GENERATED from the register (resource household): latest valid row per key
{{ config(unique_key=['household_id']) }}

with

new_rows as (

    select * from {{ ref('stg_police__households') }}
    where household_id is not null
    {% if is_incremental() %}
      and {{ govlake_new_rows_filter() }}
    {% endif %}

),

candidates as (

    select * from new_rows
    {% if is_incremental() %}
    union all by name
    select * from {{ this }} as current_rows
    where exists (select 1 from new_rows where new_rows.household_id = current_rows.household_id)
    {% endif %}

)

select * from candidates
qualify row_number() over (partition by household_id order by batch_date desc, _ingested_at desc, _source_row desc) = 1
