-- 信息项: the fields of every catalogue entry, in their declared order.
with

items as (

    select * from {{ ref('catalogue_items') }}

),

final as (

    select
        resource_code,
        cast(position as integer) as position,
        name,
        label,
        type,
        format,
        sensitivity,
        cast(nullable as boolean) as is_nullable,
        cast(is_key as boolean) as is_key,
        allowed,
        description,
    from items

)

select * from final
