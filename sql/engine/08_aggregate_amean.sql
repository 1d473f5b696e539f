-- Step 08 aggregate, one level under amean (table aggregate_level): the score of every Aggregate node at level
-- getvariable('aggregate_level') for each unit and period, straight from its children's scores:
--     score = sum(w x) / sum(w) over the children taking part (a score and a weight > 0)
-- the same rule as 08_aggregate_children.sql + 08_aggregate.sql under amean, without child rows: under amean
-- the attribution needs none (contribution = normalised × effective weight, table weight). A node with no
-- child taking part has score NULL.
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

-- node ids as the engine's enum key type (index/engine/stage.py), like the cells' keys
children as (
    select
        cast(framework.node_id as engine_node) as child_id,
        cast(framework.parent_id as engine_node) as parent_id,
        level_nodes.level,
        weights.period,
        weights.weight
    from framework
    join weights on weights.node_id = framework.node_id
    join level_nodes on level_nodes.node_id = framework.parent_id
),

child_scores as (
    select
        aggregate.unit_code,
        aggregate.period,
        children.parent_id,
        children.level,
        children.weight,
        aggregate.score as child_score,
        aggregate.score is not null and children.weight > 0 as taking_part
    from aggregate
    join children on children.child_id = aggregate.node_id and children.period = aggregate.period
),

node_sums as (
    select
        unit_code,
        period,
        parent_id,
        any_value(level) as level,
        sum(weight) filter (where taking_part) as taking_part_weight,
        sum(weight * child_score) filter (where taking_part) as weighted_sum
    from child_scores
    group by unit_code, period, parent_id
),

final as (
    select
        unit_code,
        period,
        parent_id as node_id,
        level,
        'Aggregate' as node_type,
        case when taking_part_weight > 0 then weighted_sum / taking_part_weight end as score
    from node_sums
)

select * from final
