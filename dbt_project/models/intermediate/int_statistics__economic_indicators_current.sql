-- GENERATED from the register (resource economic_indicator): latest valid row per key
{{ config(unique_key=['indicator_code', 'period', 'region_code']) }}

{{ govlake_current_rows(
    'stg_statistics__economic_indicators',
    keys=['indicator_code', 'period', 'region_code'],
    conditions=['indicator_code is not null', 'period is not null', 'region_code is not null'],
    order=['revision desc nulls last', 'batch_date desc', '_ingested_at desc', '_source_row desc'],
) }}
