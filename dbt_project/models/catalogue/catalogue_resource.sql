-- 政务信息资源目录: one row per resource, department extracts (部门信息资源) and the resources
-- govlake derives (基础信息资源, 主题信息资源, open products), with the 编制指南 fields and lineage.
with

entries as (

    select * from {{ ref('catalogue_entries') }}

),

lineage as (

    select * from {{ ref('catalogue_lineage') }}

),

upstream as (

    select
        downstream_code as resource_code,
        list(upstream_code order by upstream_code) as upstream_codes,
    from lineage
    group by all

),

downstream as (

    select
        upstream_code as resource_code,
        list(downstream_code order by downstream_code) as downstream_codes,
    from lineage
    group by all

),

final as (

    select
        entries.resource_code,
        entries.resource_id,
        entries.layer,
        entries.name,
        entries.name_en,
        entries.category,
        entries.category_name,
        entries.item,
        entries.subitem,
        entries.detail,
        entries.classification_code,
        entries.provider_id,
        entries.provider,
        entries.provider_en,
        entries.provider_code,
        entries.abstract,
        entries.format,
        entries.share_type,
        entries.share_condition,
        entries.share_basis,
        entries.share_method,
        entries.open_type,
        entries.open_condition,
        entries.update_cycle,
        cast(entries.published as date) as published_date,
        cast(entries.is_classified as boolean) as is_classified,
        entries.base_database,
        entries.theme,
        coalesce(string_split(nullif(entries.related_codes, ''), ';'), []) as related_codes,
        coalesce(upstream.upstream_codes, []) as upstream_codes,
        coalesce(downstream.downstream_codes, []) as downstream_codes,
        entries.relation,
        cast(entries.has_personal_fields as boolean) as has_personal_fields,
        cast(entries.item_count as integer) as item_count,
    from entries
    left join upstream on upstream.resource_code = entries.resource_code
    left join downstream on downstream.resource_code = entries.resource_code

)

select * from final
