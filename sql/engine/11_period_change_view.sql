-- Step 11 period_change, once node_scores exists (view period_change): the rows of table node_scores with each
-- node's node_type from the framework, in the columns of 10_period_change.sql. node_scores was computed from
-- 10_period_change.sql, so the scores, ranks and changes are stored once, there.
with

node_scores as (
    select unit_code, period, node_id, level, score, rank, score_change, rank_change from node_scores
),

framework as (
    select node_id, node_type from framework
),

final as (
    select
        node_scores.unit_code,
        node_scores.period,
        node_scores.node_id,
        node_scores.level,
        framework.node_type,
        node_scores.score,
        node_scores.rank,
        node_scores.score_change,
        node_scores.rank_change
    from node_scores
    join framework on framework.node_id = node_scores.node_id
)

select * from final
