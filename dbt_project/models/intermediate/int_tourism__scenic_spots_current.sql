-- GENERATED from the register (resource scenic_spot): latest valid row per key
{{ config(unique_key=['spot_code']) }}

{{ govlake_current_rows(
    'stg_tourism__scenic_spots',
    keys=['spot_code'],
    conditions=['spot_code is not null'],
    order=['batch_date desc', '_ingested_at desc', '_source_row desc'],
) }}
