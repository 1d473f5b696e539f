-- Step 06 aggregate, one level: the score of every Aggregate node at level getvariable('aggregate_level')
-- for each unit and period, from the scores of its children already in table `aggregate` (indicators and
-- lower aggregates). index/engine/aggregate.py runs it once per level, lowest first, as table
-- aggregate_level and appends the rows to `aggregate`.
-- Only children with a score take part, their weights rescaled over the present ones (COINr's treatment of
-- missing data). An aggregate with no present child, or whose present children weigh 0 in total, has no score.
-- Variable aggregate_method chooses the mean for this level:
--   amean  sum(weight × score) / sum(weight)
-- (gmean, hmean: add a branch here; the level loop in index/engine/aggregate.py passes one method per level.)
with

aggregate as (
    select unit_code, period, node_id, level, node_type, score from aggregate
),

framework as (
    select node_id, parent_id, cast(level as integer) as level, node_type from framework
),

weights as (
    select node_id, weight from weights
),

level_nodes as (
    select node_id, level
    from framework
    where node_type = 'Aggregate' and level = getvariable('aggregate_level')
),

children as (
    select framework.node_id as child_id, framework.parent_id, weights.weight
    from framework
    join weights on weights.node_id = framework.node_id
    semi join level_nodes on level_nodes.node_id = framework.parent_id
),

child_scores as (
    select
        aggregate.unit_code,
        aggregate.period,
        children.parent_id,
        children.weight,
        aggregate.score
    from aggregate
    join children on children.child_id = aggregate.node_id
),

aggregated as (
    select
        unit_code,
        period,
        parent_id as node_id,
        sum(case when score is not null then weight end) as present_child_weight,
        sum(weight * score) as weighted_score_sum
    from child_scores
    group by unit_code, period, parent_id
),

level_scores as (
    select
        aggregated.unit_code,
        aggregated.period,
        aggregated.node_id,
        level_nodes.level,
        'Aggregate' as node_type,
        case
            when getvariable('aggregate_method') = 'amean'
                then aggregated.weighted_score_sum / nullif(aggregated.present_child_weight, 0)
        end as score
    from aggregated
    join level_nodes on level_nodes.node_id = aggregated.node_id
),

final as (
    select * from level_scores
)

select * from final
