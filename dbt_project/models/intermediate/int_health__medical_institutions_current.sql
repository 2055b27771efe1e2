-- GENERATED from the register (resource medical_institution): latest valid row per key
{{ config(unique_key=['institution_code']) }}

{{ govlake_current_rows(
    'stg_health__medical_institutions',
    keys=['institution_code'],
    conditions=['institution_code is not null', 'is_valid_institution_code'],
    order=['batch_date desc', '_ingested_at desc', '_source_row desc'],
) }}
