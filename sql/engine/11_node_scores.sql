-- Step 11 output node_scores: one row per unit × period × node, for every Aggregate node and every Indicator
-- (an indicator's score is its normalised value), with rank and the change against the previous period.
with

period_change as (
    select * from period_change
),

final as (
    select
        unit_code,
        cast(period as integer) as period,
        node_id,
        cast(level as integer) as level,
        cast(score as double) as score,
        cast(rank as integer) as rank,
        cast(score_change as double) as score_change,
        cast(rank_change as integer) as rank_change
    from period_change
)

select * from final
