-- GENERATED from the register (base_attribute / authoritative): 一数一源 conflicts.
-- One row per entity whose value from a non-authoritative department differs from the
-- authoritative department's current value (both present). Restricted: values may be
-- personal; analysts see conflict_counts. Incremental: a run compares again only the
-- entities whose current rows changed (the pre-hook first forgets their rows).
{%- set compared_models = [['int_civil_affairs__elderly_care_benefits_current', 'citizen_id_key'], ['int_market_regulation__enterprise_registrations_current', 'credit_code'], ['int_police__registered_persons_current', 'citizen_id_key'], ['int_statistics__statistical_units_current', 'credit_code'], ['int_tax__tax_registrations_current', 'credit_code']] -%}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ govlake_forget_changed_conflicts(" ~ compared_models ~ ") }}",
) }}

with
{% if is_incremental() %}

changed_keys as (
{{ govlake_changed_entities(compared_models) }}
),
{% endif %}

compared as (

    {{ govlake_conflict_rows(
        'person.name', 'person',
        auth={'department': 'police', 'resource': 'registered_person', 'model': 'int_police__registered_persons_current', 'key': 'citizen_id_key', 'field': 'person_name'},
        other={'department': 'civil_affairs', 'resource': 'elderly_care_benefit', 'model': 'int_civil_affairs__elderly_care_benefits_current', 'key': 'citizen_id_key', 'field': 'person_name'},
    ) }}

    union all

    {{ govlake_conflict_rows(
        'person.street', 'person',
        auth={'department': 'police', 'resource': 'registered_person', 'model': 'int_police__registered_persons_current', 'key': 'citizen_id_key', 'field': 'street_code'},
        other={'department': 'civil_affairs', 'resource': 'elderly_care_benefit', 'model': 'int_civil_affairs__elderly_care_benefits_current', 'key': 'citizen_id_key', 'field': 'street_code'},
    ) }}

    union all

    {{ govlake_conflict_rows(
        'legal_entity.industry', 'legal_entity',
        auth={'department': 'statistics', 'resource': 'statistical_unit', 'model': 'int_statistics__statistical_units_current', 'key': 'credit_code', 'field': 'industry_code'},
        other={'department': 'market_regulation', 'resource': 'enterprise_registration', 'model': 'int_market_regulation__enterprise_registrations_current', 'key': 'credit_code', 'field': 'industry_code'},
    ) }}

    union all

    {{ govlake_conflict_rows(
        'legal_entity.name', 'legal_entity',
        auth={'department': 'market_regulation', 'resource': 'enterprise_registration', 'model': 'int_market_regulation__enterprise_registrations_current', 'key': 'credit_code', 'field': 'entity_name'},
        other={'department': 'statistics', 'resource': 'statistical_unit', 'model': 'int_statistics__statistical_units_current', 'key': 'credit_code', 'field': 'unit_name'},
    ) }}

    union all

    {{ govlake_conflict_rows(
        'legal_entity.street', 'legal_entity',
        auth={'department': 'market_regulation', 'resource': 'enterprise_registration', 'model': 'int_market_regulation__enterprise_registrations_current', 'key': 'credit_code', 'field': 'street_code'},
        other={'department': 'statistics', 'resource': 'statistical_unit', 'model': 'int_statistics__statistical_units_current', 'key': 'credit_code', 'field': 'street_code'},
    ) }}

    union all

    {{ govlake_conflict_rows(
        'legal_entity.name', 'legal_entity',
        auth={'department': 'market_regulation', 'resource': 'enterprise_registration', 'model': 'int_market_regulation__enterprise_registrations_current', 'key': 'credit_code', 'field': 'entity_name'},
        other={'department': 'tax', 'resource': 'tax_registration', 'model': 'int_tax__tax_registrations_current', 'key': 'credit_code', 'field': 'taxpayer_name'},
    ) }}

)

select * from compared
