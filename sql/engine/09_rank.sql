-- Step 09 rank: rank the units within each node and period, 1 = best (highest score). Ties share the lowest
-- rank of the tie (1, 1, 3: SQL rank(), R's ties.method = "min"); scores are compared exactly. A unit
-- without a score has no rank and does not push others down.
with

aggregate as (
    select * from aggregate
),

ranked as (
    select
        aggregate.*,
        case
            when score is not null
                then rank() over (partition by node_id, period order by score desc nulls last)
        end as rank
    from aggregate
),

final as (
    select
        unit_code,
        period,
        node_id,
        level,
        node_type,
        score,
        cast(rank as integer) as rank
    from ranked
)

select * from final
