-- GENERATED from the register (resource statistical_unit): latest valid row per key
{{ config(unique_key=['credit_code']) }}

with

new_rows as (

    select * from {{ ref('stg_statistics__statistical_units') }}
    where credit_code is not null
      and is_valid_credit_code
    {% if is_incremental() %}
      and {{ govlake_new_rows_filter() }}
    {% endif %}

),

candidates as (

    select * from new_rows
    {% if is_incremental() %}
    union all by name
    select * from {{ this }} as current_rows
    where exists (select 1 from new_rows where new_rows.credit_code = current_rows.credit_code)
    {% endif %}

)

select * from candidates
qualify row_number() over (partition by credit_code order by batch_date desc, _ingested_at desc, _source_row desc) = 1
