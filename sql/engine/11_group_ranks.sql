-- Step 11 output group_ranks ([rank] group, index/engine/rank.py): every unit's rank within its group, for each
-- node and period, by the rule of 09_rank.sql (1 = highest score, ties share the lowest rank, no score no
-- rank), e.g. a 旗县's rank among the 旗县 of its 盟市 beside its rank among all 旗县 (node_scores.rank). A unit
-- without a group has no row.
with

node_scores as (
    select unit_code, period, node_id, score from node_scores
),

rank_groups as (
    select unit_code, group_value from rank_groups
),

grouped as (
    select
        node_scores.*,
        rank_groups.group_value
    from node_scores
    join rank_groups on rank_groups.unit_code = cast(node_scores.unit_code as varchar)
),

final as (
    select
        unit_code,
        period,
        node_id,
        group_value,
        cast(
            case
                when score is not null
                    then rank() over (partition by node_id, period, group_value order by score desc nulls last)
            end as integer
        ) as group_rank
    from grouped
)

select * from final
