-- Published table framework: the tree the release was computed with, including the weight scheme used.
with

framework as (select * from framework),

weights as (select * from weights),

final as (
    select
        getvariable('release_id') as release_id,
        framework.node_id,
        framework.parent_id,
        cast(framework.level as integer) as level,
        framework.node_type,
        framework.name_zh,
        framework.name_en,
        framework.unit,
        framework.raw_unit,
        cast(framework.polarity as integer) as polarity,
        framework.denominator,
        framework.denominator_scale,
        -- the root carries the whole index; denominators carry no weight
        case
            when framework.node_type = 'Denominator' then null
            when framework.parent_id is null then 1.0
            else weights.weight
        end as weight,
        framework.target_2025,
        framework.target_note,
        framework.department,
        framework.definition,
        framework.source_clause
    from framework
    left join weights on weights.node_id = framework.node_id
)

select * from final
order by level desc, parent_id nulls first, node_id
