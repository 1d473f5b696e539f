-- Step 07 weight, part 0 (table weights_by_period): the weight of every tree node in every period, the one
-- relation the weight and aggregate steps read (07_weight_aggregates.sql, 07_weight.sql, 08_aggregate_amean.sql,
-- 08_aggregate_child_scores.sql). A node's weight in a period is its weight in table period_weights (objective
-- weights derived from that period's rows alone, `[weights] scope = "period"`), else its weight in table weights
-- (the scheme's weights, the same in every period; objective weights over the pooled panel). Every node that is
-- not a denominator has a row for every period of normalise; weight is NULL where neither table names the node
-- (the root), as the steps' left joins on weights always read it.
with

framework as (
    select node_id from framework
    where node_type <> 'Denominator'
),

weights as (
    select node_id, cast(weight as double) as weight from weights
),

period_weights as (
    select node_id, period, cast(weight as double) as weight from period_weights
),

periods as (
    select distinct period from normalise
),

node_periods as (
    select framework.node_id, periods.period
    from framework
    cross join periods
),

final as (
    select
        node_periods.node_id,
        node_periods.period,
        coalesce(period_weights.weight, weights.weight) as weight
    from node_periods
    left join period_weights
        on period_weights.node_id = node_periods.node_id
            and period_weights.period = node_periods.period
    left join weights on weights.node_id = node_periods.node_id
)

select * from final
