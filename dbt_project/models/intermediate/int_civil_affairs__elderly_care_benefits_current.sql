-- GENERATED from the register (resource elderly_care_benefit): latest valid row per key
{{ config(unique_key=['citizen_id_key', 'benefit_type']) }}

{{ govlake_current_rows(
    'stg_civil_affairs__elderly_care_benefits',
    keys=['citizen_id_key', 'benefit_type'],
    conditions=['citizen_id_key is not null', 'is_valid_citizen_id', 'benefit_type is not null'],
    order=['batch_date desc', '_ingested_at desc', '_source_row desc'],
) }}
