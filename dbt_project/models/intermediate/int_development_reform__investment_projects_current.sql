-- GENERATED from the register (resource investment_project): latest valid row per key
{{ config(unique_key=['project_code']) }}

{{ govlake_current_rows(
    'stg_development_reform__investment_projects',
    keys=['project_code'],
    conditions=['project_code is not null'],
    order=['batch_date desc', '_ingested_at desc', '_source_row desc'],
) }}
