-- Published table period_weights: the objective weights derived year by year (`[weights] scope = "period"`,
-- index/engine/objective_weights.py), one row per year and node under the root: its weight within its parent
-- in that year, from that year's data alone. Empty when the weights are the same in every year (scope "panel",
-- the default; table weights holds them). scheme is the variable weight_scheme, as in weights.sql.
with

framework as (
    select node_id, parent_id, cast(level as integer) as level, node_type from framework
    where node_type <> 'Denominator'
),

period_weights as (
    select node_id, cast(period as integer) as year, cast(weight as double) as weight from period_weights
),

final as (
    select
        getvariable('release_id') as release_id,
        cast(getvariable('weight_scheme') as varchar) as scheme,
        period_weights.year,
        framework.node_id,
        framework.parent_id,
        framework.level,
        framework.node_type,
        period_weights.weight
    from period_weights
    join framework on framework.node_id = period_weights.node_id
    where framework.parent_id is not null
)

select * from final
order by year, level desc, parent_id, node_id
