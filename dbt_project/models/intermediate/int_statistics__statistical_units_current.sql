-- GENERATED from the register (resource statistical_unit): latest valid row per key
{{ config(unique_key=['credit_code']) }}

{{ govlake_current_rows(
    'stg_statistics__statistical_units',
    keys=['credit_code'],
    conditions=['credit_code is not null', 'is_valid_credit_code'],
    order=['batch_date desc', '_ingested_at desc', '_source_row desc'],
) }}
