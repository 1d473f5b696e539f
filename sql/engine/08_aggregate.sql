-- Step 08 aggregate, one level (table aggregate_level): the score of every Aggregate node at level
-- getvariable('aggregate_level') for each unit and period, from the child rows of 08_aggregate_children.sql
-- (which holds the method, the re-weighting over present children and the non-positive handling).
-- index/engine/aggregate.py runs both once per level, lowest first, and appends the rows to `aggregate_nodes`
-- (view `aggregate`, 08_aggregate_scores.sql, = the indicators' scores and these).
-- A node with no child taking part has score NULL.
with

aggregate_children_level as (
    select * from aggregate_children_level
),

final as (
    select
        unit_code,
        period,
        parent_id as node_id,
        any_value(level) as level,
        'Aggregate' as node_type,
        any_value(parent_score) as score
    from aggregate_children_level
    group by unit_code, period, parent_id
)

select * from final
