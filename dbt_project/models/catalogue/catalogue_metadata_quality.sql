-- Metadata quality per catalogue entry, modelled on the EU data portal's Metadata Quality
-- Assessment (MQA): points per property in five dimensions; a property that does not apply to
-- an entry (e.g. an open condition of a closed resource) counts neither way. docs/catalogue.md
-- lists the properties and their points.
with

resources as (

    select * from {{ ref('catalogue_resource') }}

),

items as (

    select
        resource_code,
        count(*) as items,
        count(*) filter (where label is not null and label <> '') as labelled,
        count(*) filter (where description is not null and length(description) >= 2) as described,
        count(*) filter (where type is not null and type <> 'unknown') as typed,
        count(*) filter (where is_key) as keys,
    from {{ ref('catalogue_item') }}
    group by all

),

checks as (

    select
        resources.resource_code,
        unnest([
            {dimension: 'findability', property: 'abstract', points: 30, applies: true,
             ok: length(resources.abstract) >= 30,
             missing: '摘要不少于30字 (abstract of at least 30 characters)'},
            {dimension: 'findability', property: 'theme', points: 30, applies: true,
             ok: resources.theme is not null or resources.base_database is not null,
             missing: '所属主题或基础库 (theme or base database)'},
            {dimension: 'findability', property: 'keywords', points: 20, applies: true,
             ok: coalesce(items.labelled, 0) >= 3,
             missing: '至少3个有中文名称的信息项 (3+ labelled fields as keywords)'},
            {dimension: 'findability', property: 'title_en', points: 20, applies: true,
             ok: resources.name_en is not null and resources.name_en <> '',
             missing: '英文名称 (English title)'},
            {dimension: 'accessibility', property: 'access_route', points: 50, applies: true,
             ok: resources.share_method is not null or resources.share_basis is not null,
             missing: '共享方式或不予共享依据 (how to obtain it)'},
            {dimension: 'accessibility', property: 'queryable', points: 20,
             applies: not resources.is_classified, ok: resources.relation is not null,
             missing: '可查询的数据表 (a table analysts can query)'},
            {dimension: 'accessibility', property: 'publishable', points: 30,
             applies: resources.open_type <> '不予开放', ok: not resources.has_personal_fields,
             missing: '开放资源不得含个人信息项 (open, but has personal fields)'},
            {dimension: 'interoperability', property: 'item_types', points: 30, applies: true,
             ok: items.items > 0 and items.typed = items.items,
             missing: '每个信息项的数据类型 (a type for every field)'},
            {dimension: 'interoperability', property: 'item_labels', points: 40, applies: true,
             ok: items.items > 0 and items.labelled = items.items,
             missing: '每个信息项的中文名称 (a Chinese label for every field)'},
            {dimension: 'interoperability', property: 'item_descriptions', points: 40,
             applies: true, ok: items.items > 0 and items.described = items.items,
             missing: '每个信息项的说明 (a description for every field)'},
            {dimension: 'reusability', property: 'share_terms', points: 20,
             applies: resources.share_type <> '无条件共享',
             ok: coalesce(resources.share_condition, resources.share_basis) is not null,
             missing: '共享条件或不予共享依据 (sharing terms)'},
            {dimension: 'reusability', property: 'open_terms', points: 10,
             applies: resources.open_type = '有条件开放', ok: resources.open_condition is not null,
             missing: '开放条件 (open-data terms)'},
            {dimension: 'reusability', property: 'publisher', points: 20, applies: true,
             ok: resources.provider_code is not null, missing: '提供方代码 (publisher id)'},
            {dimension: 'reusability', property: 'related', points: 25, applies: true,
             ok: len(resources.related_codes) + len(resources.upstream_codes) > 0,
             missing: '关联资源或来源 (related or source resources)'},
            {dimension: 'contextuality', property: 'key', points: 10, applies: true,
             ok: coalesce(items.keys, 0) > 0, missing: '标识信息项 (a key field)'},
            {dimension: 'contextuality', property: 'update_cycle', points: 10, applies: true,
             ok: resources.update_cycle is not null, missing: '更新周期 (update cycle)'},
        ]) as prop,
    from resources
    left join items on items.resource_code = resources.resource_code

),

final as (

    select
        resource_code,
        cast(coalesce(sum(prop.points) filter (where prop.applies and prop.ok), 0) as integer)
            as points,
        cast(sum(prop.points) filter (where prop.applies) as integer) as max_points,
        round(100.0 * points / max_points, 1) as score,
        {%- for dimension in ['findability', 'accessibility', 'interoperability',
                              'reusability', 'contextuality'] %}
        cast(coalesce(sum(prop.points) filter (
            where prop.applies and prop.ok and prop.dimension = '{{ dimension }}'), 0) as integer)
            as {{ dimension }},
        {%- endfor %}
        coalesce(
            list(prop.missing order by prop.dimension, prop.property)
                filter (where prop.applies and not prop.ok),
            []
        ) as missing,
    from checks
    group by all

)

select * from final
