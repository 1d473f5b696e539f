-- Step 07 weight: the effective weight of every indicator for each unit and period, relative to the ROOT.
-- Along the path from the indicator up to the root each node contributes the factor
--     weight of the node / sum of the weights of its PRESENT siblings (itself included),
-- and the effective weight is the product of these factors: children with no value are re-weighted over the
-- ones present, as COINr's weighted mean does. A node is present for a unit and period when it has a score:
-- an indicator when its normalised value is not NULL, an aggregate when the weights of its present children
-- sum to more than 0 (so an aggregate whose only present children weigh 0 has no score either; this matches
-- 08_aggregate.sql).
-- Missing indicators, and indicators below a zero weight, get effective weight 0. For every unit and period
-- with a root score the effective weights sum to 1, and contribution = normalised × effective_weight adds up
-- to the root score under amean. (Under other means 08_aggregate_contributions.sql corrects it after the
-- aggregation; indicator_results takes that one.)
-- The aggregates' side (present child weights, effective weights of aggregates) comes from table
-- weight_aggregates (07_weight_aggregates.sql), so this pass over the indicator cells is one join. Weights are
-- per period (table weights_by_period, 07_weight_periods.sql).
with

normalise as (
    select * from normalise
),

-- each indicator's weight in each period (07_weight_periods.sql); node ids as the engine's enum key type
-- (index/engine/stage.py), like the cells' keys
tree as (
    select
        cast(framework.node_id as engine_node) as node_id,
        cast(framework.parent_id as engine_node) as parent_id,
        weights_by_period.period,
        weights_by_period.weight
    from framework
    join weights_by_period on weights_by_period.node_id = framework.node_id
    where framework.node_type = 'Indicator'
),

parent_weights as (
    select
        unit_code,
        period,
        node_id as parent_id,
        effective_weight as parent_effective_weight,
        present_child_weight as parent_present_child_weight
    from weight_aggregates
),

weighted as (
    select
        normalise.*,
        case
            when normalise.normalised is null then 0.0
            when tree.parent_id is null then 1.0  -- an indicator that is the root
            when tree.weight = 0 then 0.0
            else coalesce(
                    parent_weights.parent_effective_weight * tree.weight / parent_weights.parent_present_child_weight,
                    0.0
                )
        end as effective_weight
    from normalise
    join tree on tree.node_id = normalise.indicator_id and tree.period = normalise.period
    left join parent_weights
        on parent_weights.unit_code = normalise.unit_code
            and parent_weights.period = normalise.period
            and parent_weights.parent_id = tree.parent_id
),

final as (
    select
        weighted.*,
        weighted.normalised * weighted.effective_weight as contribution
    from weighted
)

select * from final
