-- Status of every catalogue entry: rows, last batch and delivery, freshness against its update
-- cycle (按时 / 逾期 / 从未报送, with the date it became late), quality score, open 一数一源
-- conflicts and metadata quality. A derived resource is as fresh as the department resources it
-- is built from (all of them, through the lineage). "Today" is GOVLAKE_DBT_AS_OF (the build's
-- date), not the clock, so a rerun of the same day gives the same answer.
with recursive

resources as (

    select * from {{ ref('catalogue_resource') }}

),

facts as (

    select * from {{ source('lake', 'resource_facts') }}

),

row_counts as (

    select * from {{ ref('catalogue_row_counts') }}

),

lineage as (

    select * from {{ ref('catalogue_lineage') }}

),

conflicts as (

    select other_resource as resource_id, sum(conflicts) as open_conflicts,
    from {{ ref('conflict_counts') }}
    group by all

),

metadata_quality as (

    select resource_code, score as metadata_quality_score,
    from {{ ref('catalogue_metadata_quality') }}

),

params as (

    select coalesce(
        try_cast(nullif('{{ env_var("GOVLAKE_DBT_AS_OF", "") }}', '') as date), current_date
    ) as as_of_date

),

-- how long a delivery stays fresh, and the grace after it before it counts as late
cycles as (

    select * from (values
        ('实时', interval 1 day, interval 1 day),
        ('每日', interval 1 day, interval 1 day),
        ('每周', interval 7 day, interval 2 day),
        ('每月', interval 1 month, interval 7 day),
        ('每季度', interval 3 month, interval 15 day),
        ('每年', interval 1 year, interval 30 day)
    ) as t (update_cycle, period, grace)

),

delivered as (

    select
        resources.resource_code,
        facts.files,
        facts.batches,
        facts.held_batches,
        facts.rows_delivered,
        facts.rows_accepted,
        facts.rows_quarantined,
        facts.last_batch_id,
        facts.last_batch_date,
        facts.last_delivered_at,
        facts.quality_score,
        coalesce(conflicts.open_conflicts, 0) as open_conflicts,
        cast(
            coalesce(cast(facts.last_delivered_at as date), resources.published_date)
            + cycles.period + cycles.grace as date
        ) as due_date,
    from resources
    inner join cycles on cycles.update_cycle = resources.update_cycle
    left join facts on facts.resource_id = resources.resource_id
    left join conflicts on conflicts.resource_id = resources.resource_id
    where resources.layer = 'department'

),

department_status as (

    select
        delivered.*,
        case
            when delivered.last_delivered_at is null then 'never_delivered'
            when params.as_of_date > delivered.due_date then 'late'
            else 'on_time'
        end as freshness,
        case
            when params.as_of_date > delivered.due_date
                then cast(delivered.due_date + interval 1 day as date)
        end as late_since_date,
    from delivered
    cross join params

),

-- every department resource each derived one is built from, however many steps away
ancestry as (

    select downstream_code as resource_code, upstream_code as ancestor_code from lineage

    union

    select ancestry.resource_code, lineage.upstream_code
    from ancestry
    inner join lineage on lineage.downstream_code = ancestry.ancestor_code

),

derived_status as (

    select
        resources.resource_code,
        cast(null as bigint) as files,
        cast(null as bigint) as batches,
        cast(null as bigint) as held_batches,
        cast(null as bigint) as rows_delivered,
        cast(null as bigint) as rows_accepted,
        cast(null as bigint) as rows_quarantined,
        cast(null as varchar) as last_batch_id,
        max(source.last_batch_date) as last_batch_date,
        max(source.last_delivered_at) as last_delivered_at,
        cast(null as double) as quality_score,
        coalesce(sum(source.open_conflicts), 0) as open_conflicts,
        min(source.due_date) as due_date,
        case
            when count(source.resource_code) = 0 then 'never_delivered'
            when bool_or(source.freshness <> 'on_time') then
                case when bool_and(source.freshness = 'never_delivered')
                    then 'never_delivered' else 'late' end
            else 'on_time'
        end as freshness,
        min(source.late_since_date) as late_since_date,
    from resources
    left join ancestry on ancestry.resource_code = resources.resource_code
    left join department_status as source on source.resource_code = ancestry.ancestor_code
    where resources.layer <> 'department'
    group by resources.resource_code

),

final as (

    select
        resources.resource_code,
        resources.resource_id,
        resources.layer,
        row_counts.current_rows,
        status.files,
        status.batches,
        status.held_batches,
        status.rows_delivered,
        status.rows_accepted,
        status.rows_quarantined,
        status.last_batch_id,
        status.last_batch_date,
        status.last_delivered_at,
        resources.update_cycle,
        status.due_date,
        status.freshness,
        case status.freshness
            when 'on_time' then '按时'
            when 'late' then '逾期'
            else '从未报送'
        end as freshness_label,
        status.late_since_date,
        status.quality_score,
        cast(status.open_conflicts as bigint) as open_conflicts,
        metadata_quality.metadata_quality_score,
        params.as_of_date,
    from resources
    inner join (
        select * from department_status
        union all by name
        select * from derived_status
    ) as status on status.resource_code = resources.resource_code
    left join row_counts on row_counts.resource_code = resources.resource_code
    left join metadata_quality on metadata_quality.resource_code = resources.resource_code
    cross join params

)

select * from final
