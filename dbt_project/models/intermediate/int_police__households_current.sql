-- GENERATED from the register (resource household): latest valid row per key
{{ config(unique_key=['household_id']) }}

{{ govlake_current_rows(
    'stg_police__households',
    keys=['household_id'],
    conditions=['household_id is not null'],
    order=['batch_date desc', '_ingested_at desc', '_source_row desc'],
) }}
