-- Step 08 aggregate, shared (view aggregate_child_scores, read by 08_aggregate_children.sql and
-- 08_aggregate_topsis.sql): every child of every Aggregate node at level getvariable('aggregate_level'), for each
-- unit and period, with its weight under the parent and its score (view aggregate: the indicators' normalised
-- values and the scores of the levels below). A child takes part when it has a score and a weight > 0. A view:
-- index/engine/aggregate.py sets the level before each level's step reads it.
with

aggregate as (
    select unit_code, period, node_id, score from aggregate
),

framework as (
    select node_id, parent_id, cast(level as integer) as level, node_type from framework
),

-- each node's weight in each period (07_weight_periods.sql); a node no weight names takes no part
weights as (
    select node_id, period, weight from weights_by_period
    where weight is not null
),

level_nodes as (
    select node_id, level
    from framework
    where node_type = 'Aggregate' and level = getvariable('aggregate_level')
),

children as (
    select
        framework.node_id as child_id, framework.parent_id, level_nodes.level, weights.period, weights.weight
    from framework
    join weights on weights.node_id = framework.node_id
    join level_nodes on level_nodes.node_id = framework.parent_id
),

final as (
    select
        aggregate.unit_code,
        aggregate.period,
        children.parent_id,
        children.level,
        children.child_id,
        children.weight,
        aggregate.score as child_score,
        aggregate.score is not null and children.weight > 0 as taking_part
    from aggregate
    join children on children.child_id = aggregate.node_id and children.period = aggregate.period
)

select * from final
