-- Step 08 aggregate, the scores (view aggregate): every node's score for each unit and period, the indicators'
-- (their normalised value, from normalise) followed by the Aggregate nodes' (table aggregate_nodes, which
-- index/engine/aggregate.py fills one level at a time, lowest first, from this view). A view, so the
-- indicators' cells are not copied.
with

normalise as (
    select unit_code, period, indicator_id, normalised from normalise
),

-- node ids as the engine's enum key type (index/engine/stage.py), like the cells' keys
framework as (
    select cast(node_id as engine_node) as node_id, cast(level as integer) as level
    from framework
    where node_type = 'Indicator'
),

aggregate_nodes as (
    select unit_code, period, node_id, level, node_type, score from aggregate_nodes
),

indicator_scores as (
    select
        normalise.unit_code,
        normalise.period,
        normalise.indicator_id as node_id,
        framework.level,
        'Indicator' as node_type,
        normalise.normalised as score
    from normalise
    join framework on framework.node_id = normalise.indicator_id
),

final as (
    select * from indicator_scores
    union all
    select * from aggregate_nodes
)

select * from final
