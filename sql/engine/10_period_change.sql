-- Step 10 period_change: change of score and rank against the previous period of the same unit and node.
-- rank_change = previous rank - rank, so positive = moved up. NULL for the first period, and wherever either
-- period lacks a score (or a rank). "Previous period" is the previous period of the grid (01_stage.sql).
with

rank as (
    select * from rank
),

with_previous as (
    select
        rank.*,
        lag(score) over unit_history as previous_score,
        lag(rank) over unit_history as previous_rank
    from rank
    window unit_history as (partition by unit_code, node_id order by period)
),

final as (
    -- rank's columns, then the changes
    select
        * exclude (previous_score, previous_rank),
        score - previous_score as score_change,
        cast(previous_rank - rank as integer) as rank_change
    from with_previous
)

select * from final
