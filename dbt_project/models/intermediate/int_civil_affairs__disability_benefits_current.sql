-- GENERATED from the register (resource disability_benefit): latest valid row per key
{{ config(unique_key=['citizen_id_key']) }}

{{ govlake_current_rows(
    'stg_civil_affairs__disability_benefits',
    keys=['citizen_id_key'],
    conditions=['citizen_id_key is not null', 'is_valid_citizen_id'],
    order=['batch_date desc', '_ingested_at desc', '_source_row desc'],
) }}
