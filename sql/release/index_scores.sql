-- Published table index_scores: one row per unit (盟市 or 旗县市区), year and aggregate node (the composite
-- 'DEI' and each dimension). Dashboards read this; indicators are in indicator_values. Each level is its own
-- build (index/levels.py): rank is among the units of the same level, rank_in_parent within the parent.
with

node_scores as (select * from node_scores),

framework as (select * from framework),

units as (select * from units),

aggregates as (
    select node_scores.*
    from node_scores
    join framework on framework.node_id = node_scores.node_id
    where framework.node_type = 'Aggregate'
),

final as (
    select
        getvariable('release_id') as release_id,
        cast(aggregates.unit_code as integer) as unit_code,
        units.unit_name,
        units.unit_level,
        cast(units.parent_code as integer) as parent_code,
        cast(aggregates.period as integer) as year,
        aggregates.node_id,
        framework.name_zh as node_name_zh,
        framework.name_en as node_name_en,
        cast(aggregates.level as integer) as level,
        aggregates.score,
        cast(aggregates.rank as integer) as rank,
        cast(aggregates.rank_in_parent as integer) as rank_in_parent,
        aggregates.score_change,
        cast(aggregates.rank_change as integer) as rank_change
    from aggregates
    join units on units.unit_code = aggregates.unit_code
    join framework on framework.node_id = aggregates.node_id
)

select * from final
order by unit_level = 'county', year, level desc, node_id, rank, unit_code
