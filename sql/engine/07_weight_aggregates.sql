-- Step 07 weight, part 1 (table weight_aggregates): for every aggregate node, unit and period where the node
-- is present, the sum of the weights of its present children and its effective weight relative to the root.
-- 07_weight.sql then gives each indicator its effective weight from its parent's row. See 07_weight.sql for the
-- rules (re-weighting over present siblings, zero weights).
-- Set-based for any depth: one pass over the indicator cells finds each parent's present indicator weight;
-- the rest works on aggregate nodes only (units × periods × aggregates rows). Weights are per period (relation
-- weights_by_period, 07_weight_periods.sql): the walk up the tree is structural, and which paths carry positive
-- weights only is decided per period from the nodes on them.
with recursive

normalise as (
    select * from normalise
),

-- node ids as the engine's enum key type (index/engine/stage.py), like the cells' keys
tree as (
    select
        cast(node_id as engine_node) as node_id,
        cast(parent_id as engine_node) as parent_id,
        node_type
    from framework
    where node_type <> 'Denominator'
),

node_weights as (
    select
        cast(node_id as engine_node) as node_id,
        period,
        weight
    from weights_by_period
),

aggregate_nodes as (
    select node_id, parent_id from tree where node_type = 'Aggregate'
),

-- every aggregate with itself and each of its ancestors (the tree only, no weights)
aggregate_ancestors as (
    select
        node_id as aggregate_id,
        node_id as ancestor_id,
        parent_id as ancestor_parent_id
    from aggregate_nodes

    union all

    select
        aggregate_ancestors.aggregate_id,
        aggregate_nodes.node_id as ancestor_id,
        aggregate_nodes.parent_id as ancestor_parent_id
    from aggregate_ancestors
    join aggregate_nodes on aggregate_nodes.node_id = aggregate_ancestors.ancestor_parent_id
),

-- the periods in which some weight on the path from an aggregate up to an ancestor (the ancestor's own weight
-- excluded) is not > 0: the nodes between are the aggregate's ancestors (itself included) below the ancestor
blocked_paths as (
    select distinct
        path.aggregate_id,
        path.ancestor_id,
        node_weights.period
    from aggregate_ancestors as path
    join aggregate_ancestors as below
        on below.aggregate_id = path.aggregate_id
            and below.ancestor_id <> path.ancestor_id
    join aggregate_ancestors as between_nodes
        on between_nodes.aggregate_id = below.ancestor_id
            and between_nodes.ancestor_id = path.ancestor_id
    join node_weights on node_weights.node_id = below.ancestor_id
    where not coalesce(node_weights.weight > 0, false)
),

-- every edge (node -> parent) on the path from each aggregate to the root
aggregate_paths as (
    select
        aggregate_ancestors.aggregate_id,
        aggregate_nodes.node_id,
        aggregate_nodes.parent_id
    from aggregate_ancestors
    join aggregate_nodes on aggregate_nodes.node_id = aggregate_ancestors.ancestor_id
    where aggregate_nodes.parent_id is not null
),

indicator_weights as (
    select tree.node_id, tree.parent_id, node_weights.period, node_weights.weight
    from tree
    join node_weights on node_weights.node_id = tree.node_id
    where tree.node_type = 'Indicator'
),

present_indicators as (
    select
        normalise.unit_code, normalise.period, normalise.indicator_id, indicator_weights.parent_id,
        indicator_weights.weight
    from normalise
    join indicator_weights
        on indicator_weights.node_id = normalise.indicator_id
            and indicator_weights.period = normalise.period
    where normalise.normalised is not null
),

present_indicator_weights as (
    select unit_code, period, parent_id, sum(weight) as present_indicator_weight
    from present_indicators
    where parent_id is not null
    group by unit_code, period, parent_id
),

-- an aggregate is present when a present indicator reaches it through positive weights only
present_aggregates as (
    select distinct
        present_indicator_weights.unit_code,
        present_indicator_weights.period,
        aggregate_ancestors.ancestor_id as node_id
    from present_indicator_weights
    join aggregate_ancestors on aggregate_ancestors.aggregate_id = present_indicator_weights.parent_id
    anti join blocked_paths
        on blocked_paths.aggregate_id = aggregate_ancestors.aggregate_id
            and blocked_paths.ancestor_id = aggregate_ancestors.ancestor_id
            and blocked_paths.period = present_indicator_weights.period
    where present_indicator_weights.present_indicator_weight > 0
),

present_aggregate_weights as (
    select
        present_aggregates.unit_code, present_aggregates.period, aggregate_nodes.parent_id,
        sum(node_weights.weight) as present_aggregate_weight
    from present_aggregates
    join aggregate_nodes on aggregate_nodes.node_id = present_aggregates.node_id
    join node_weights
        on node_weights.node_id = present_aggregates.node_id
            and node_weights.period = present_aggregates.period
    where aggregate_nodes.parent_id is not null
    group by all
),

-- sum of the weights of the present children of each aggregate
present_child_weights as (
    select
        coalesce(present_indicator_weights.unit_code, present_aggregate_weights.unit_code) as unit_code,
        coalesce(present_indicator_weights.period, present_aggregate_weights.period) as period,
        coalesce(present_indicator_weights.parent_id, present_aggregate_weights.parent_id) as node_id,
        coalesce(present_indicator_weights.present_indicator_weight, 0.0)
        + coalesce(present_aggregate_weights.present_aggregate_weight, 0.0) as present_child_weight
    from present_indicator_weights
    full outer join present_aggregate_weights
        on present_aggregate_weights.unit_code = present_indicator_weights.unit_code
            and present_aggregate_weights.period = present_indicator_weights.period
            and present_aggregate_weights.parent_id = present_indicator_weights.parent_id
),

aggregate_path_factors as (
    select
        present_aggregates.unit_code,
        present_aggregates.period,
        present_aggregates.node_id,
        aggregate_paths.parent_id as path_parent_id,
        node_weights.weight > 0 as weight_positive,
        node_weights.weight / present_child_weights.present_child_weight as reweighted_share
    from present_aggregates
    left join aggregate_paths on aggregate_paths.aggregate_id = present_aggregates.node_id
    left join node_weights
        on node_weights.node_id = aggregate_paths.node_id
            and node_weights.period = present_aggregates.period
    left join present_child_weights
        on present_child_weights.unit_code = present_aggregates.unit_code
            and present_child_weights.period = present_aggregates.period
            and present_child_weights.node_id = aggregate_paths.parent_id
),

-- effective weight of each present aggregate relative to the root (the root: 1)
aggregate_effective_weights as (
    select
        unit_code,
        period,
        node_id,
        case
            when count(path_parent_id) = 0 then 1.0
            when bool_and(weight_positive) then product(reweighted_share)
            else 0.0
        end as aggregate_effective_weight
    from aggregate_path_factors
    group by unit_code, period, node_id
),

aggregate_weights as (
    select
        aggregate_effective_weights.unit_code,
        aggregate_effective_weights.period,
        aggregate_effective_weights.node_id,
        aggregate_effective_weights.aggregate_effective_weight as effective_weight,
        present_child_weights.present_child_weight
    from aggregate_effective_weights
    join present_child_weights
        on present_child_weights.unit_code = aggregate_effective_weights.unit_code
            and present_child_weights.period = aggregate_effective_weights.period
            and present_child_weights.node_id = aggregate_effective_weights.node_id
),

final as (
    select * from aggregate_weights
)

select * from final
