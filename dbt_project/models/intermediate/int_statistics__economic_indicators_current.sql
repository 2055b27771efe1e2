-- GENERATED from the register (resource economic_indicator): latest valid row per key
{{ config(unique_key=['indicator_code', 'period', 'region_code']) }}

with

new_rows as (

    select * from {{ ref('stg_statistics__economic_indicators') }}
    where indicator_code is not null
      and period is not null
      and region_code is not null
    {% if is_incremental() %}
      and {{ govlake_new_rows_filter() }}
    {% endif %}

),

candidates as (

    select * from new_rows
    {% if is_incremental() %}
    union all by name
    select * from {{ this }} as current_rows
    where exists (select 1 from new_rows where new_rows.indicator_code = current_rows.indicator_code and new_rows.period = current_rows.period and new_rows.region_code = current_rows.region_code)
    {% endif %}

)

select * from candidates
qualify row_number() over (partition by indicator_code, period, region_code order by revision desc nulls last, batch_date desc, _ingested_at desc, _source_row desc) = 1
