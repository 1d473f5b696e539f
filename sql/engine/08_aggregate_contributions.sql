-- Step 08 aggregate, attribution (table aggregate_contribution): every indicator cell of table `weight` with its
-- contribution to the root score under the aggregation methods actually used.
--     contribution = effective_weight × (normalised + sum of `adjustment` over the nodes on the indicator's
--                    path to the root, the indicator itself included and the root excluded)
-- where `adjustment` (table aggregate_children, 08_aggregate_children.sql) is 0 under amean. Why it adds up:
-- each parent's score is the sum of its children's attributions w~ × (score + adjustment); unrolling that from
-- the root down, and spreading a node's term over its indicators in proportion to their effective weights
-- (which add up to the node's own), gives the formula above. Under amean everywhere it is the familiar
-- normalised × effective weight. A missing indicator has contribution NULL, as its normalised value.
with recursive

weight as (
    select * from weight
),

aggregate_children as (
    select unit_code, period, child_id, adjustment from aggregate_children
),

framework as (
    select node_id, parent_id, node_type from framework where node_type <> 'Denominator'
),

-- each indicator with every node on its path that has a parent
indicator_paths as (
    select node_id as indicator_id, node_id as path_node_id, parent_id
    from framework
    where node_type = 'Indicator' and parent_id is not null

    union all

    select indicator_paths.indicator_id, framework.node_id as path_node_id, framework.parent_id
    from indicator_paths
    join framework on framework.node_id = indicator_paths.parent_id
    where framework.parent_id is not null
),

path_adjustments as (
    select
        weight.unit_code,
        weight.period,
        weight.indicator_id,
        sum(aggregate_children.adjustment) as path_adjustment
    from weight
    join indicator_paths on indicator_paths.indicator_id = weight.indicator_id
    join aggregate_children
        on aggregate_children.unit_code = weight.unit_code
            and aggregate_children.period = weight.period
            and aggregate_children.child_id = indicator_paths.path_node_id
    group by weight.unit_code, weight.period, weight.indicator_id
),

final as (
    select
        weight.* replace (
            weight.effective_weight
            * (weight.normalised + coalesce(path_adjustments.path_adjustment, 0.0)) as contribution
        )
    from weight
    left join path_adjustments
        on path_adjustments.unit_code = weight.unit_code
            and path_adjustments.period = weight.period
            and path_adjustments.indicator_id = weight.indicator_id
)

select * from final
