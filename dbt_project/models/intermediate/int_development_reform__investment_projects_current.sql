-- GENERATED from the register (resource investment_project): latest valid row per key
{{ config(unique_key=['project_code']) }}

with

new_rows as (

    select * from {{ ref('stg_development_reform__investment_projects') }}
    where project_code is not null
    {% if is_incremental() %}
      and {{ govlake_new_rows_filter() }}
    {% endif %}

),

candidates as (

    select * from new_rows
    {% if is_incremental() %}
    union all by name
    select * from {{ this }} as current_rows
    where exists (select 1 from new_rows where new_rows.project_code = current_rows.project_code)
    {% endif %}

)

select * from candidates
qualify row_number() over (partition by project_code order by batch_date desc, _ingested_at desc, _source_row desc) = 1
