-- GENERATED from the register (resource hotel): latest valid row per key
{{ config(unique_key=['hotel_code']) }}

{{ govlake_current_rows(
    'stg_tourism__hotels',
    keys=['hotel_code'],
    conditions=['hotel_code is not null', 'is_valid_hotel_code'],
    order=['batch_date desc', '_ingested_at desc', '_source_row desc'],
) }}
