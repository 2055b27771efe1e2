-- GENERATED from the register (resource tax_registration): latest valid row per key
{{ config(unique_key=['credit_code']) }}

{{ govlake_current_rows(
    'stg_tax__tax_registrations',
    keys=['credit_code'],
    conditions=['credit_code is not null', 'is_valid_credit_code'],
    order=['batch_date desc', '_ingested_at desc', '_source_row desc'],
) }}
