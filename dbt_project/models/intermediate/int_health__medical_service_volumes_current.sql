-- GENERATED from the register (resource medical_service_volume): latest valid row per key
{{ config(unique_key=['institution_code', 'month']) }}

{{ govlake_current_rows(
    'stg_health__medical_service_volumes',
    keys=['institution_code', 'month'],
    conditions=['institution_code is not null', 'is_valid_institution_code', 'month is not null'],
    order=['batch_date desc', '_ingested_at desc', '_source_row desc'],
) }}
