-- GENERATED from the register (resource tourism_monthly): latest valid row per key
{{ config(unique_key=['spot_code', 'month']) }}

{{ govlake_current_rows(
    'stg_tourism__tourism_monthlies',
    keys=['spot_code', 'month'],
    conditions=['spot_code is not null', 'month is not null'],
    order=['batch_date desc', '_ingested_at desc', '_source_row desc'],
) }}
