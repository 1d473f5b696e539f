-- Published table framework: the tree the release was computed with, including the weight scheme used.
with

framework as (select * from framework),

weights as (select * from weights),

-- the weights of the 旗县市区 build (index/levels.py): rescaled over the county-level nodes
county_weights as (select * from county_weights),

-- whether the release has a 旗县 build at all (then its root weighs 1, as the 盟市 build's does)
county_build as (select count(*) > 0 as scored from county_weights),

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
        framework.source_clause,
        cast(framework.levels as varchar) as levels,
        case
            when framework.node_type = 'Denominator' then null
            when framework.parent_id is null and county_weights.node_id is null and county_build.scored then 1.0
            else county_weights.weight
        end as county_weight
    from framework
    left join weights on weights.node_id = framework.node_id
    left join county_weights on county_weights.node_id = framework.node_id
    cross join county_build
)

select * from final
order by level desc, parent_id nulls first, node_id
