-- GENERATED from the register (resource social_insurance_enrolment): latest valid row per key
{{ config(unique_key=['citizen_id_key']) }}

{{ govlake_current_rows(
    'stg_hrss__social_insurance_enrolments',
    keys=['citizen_id_key'],
    conditions=['citizen_id_key is not null', 'is_valid_citizen_id'],
    order=['batch_date desc', '_ingested_at desc', '_source_row desc'],
) }}
