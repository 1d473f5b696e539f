-- Step 08 aggregate, one level under topsis (table aggregate_children_level, the columns of
-- 08_aggregate_children.sql, which 08_aggregate.sql reduces to the parents' scores): entropy-weighted TOPSIS
-- (Hwang & Yoon 1981), as Chinese regional index reports use it (熵权-TOPSIS: the weights from [weights]
-- scheme = "entropy" or any other scheme). Per parent node, on the children taking part (a score and a weight
-- > 0, 08_aggregate_child_scores.sql), with x the child's score (normalised: higher is better, polarity applied)
-- and w~ = w / W its weight rescaled over the unit's children taking part, as for every other method:
--     v = w~ x;  A+ = w~ × max x,  A- = w~ × min x  (max and min over the units compared)
--     D+ = sqrt(sum (v - A+)^2),  D- = sqrt(sum (v - A-)^2),  C = D- / (D+ + D-),  score = 100 C
-- With every unit's children complete, A+ = max v and A- = min v, the textbook ideal and anti-ideal; taking the
-- maximum of x and then the unit's own weight keeps the rule for a unit with a child missing. C = 0.5 (score 50)
-- when D+ + D- = 0, i.e. the unit equals every other on each of its children (a constant scope, one unit alone):
-- the middle of the range, as minmax gives a constant indicator (lo + hi) / 2 and prank 0.5.
-- The units compared are those the normalise step scaled together: the same period when
-- getvariable('aggregate_scope') = 'period' (normalise.scope), else the whole panel (scores comparable across
-- periods); within each unit's group when [normalise] group names one (table normalise_groups).
-- Attribution: the score is spread over the children in proportion to their arithmetic shares w~ x
-- (attribution = score × w~ x / A, A = sum w~ x); when A <= 0 (a normalisation with negative values) by the
-- weight shares (score × w~). The shares add up to the score; `adjustment` = attribution / w~ - x as in
-- 08_aggregate_children.sql, so 08_aggregate_contributions.sql attributes the root score as for every method.
with

-- the children with their weights and scores (08_aggregate_child_scores.sql, shared with 08_aggregate_children.sql)
child_scores as (
    select * from aggregate_child_scores
),

normalise_groups as (
    select try_cast(unit_code as engine_unit) as unit_code, group_value as scope_group from normalise_groups
),

scoped as (
    select
        child_scores.*,
        case when getvariable('aggregate_scope') = 'period' then child_scores.period end as scope_period,
        normalise_groups.scope_group
    from child_scores
    left join normalise_groups on normalise_groups.unit_code = child_scores.unit_code
),

-- W, the weight of the unit's children taking part
unit_weights as (
    select
        *,
        sum(case when taking_part then weight end)
            over (partition by unit_code, period, parent_id) as taking_part_weight
    from scoped
),

reweighted as (
    select
        *,
        case when taking_part then weight / taking_part_weight else 0.0 end as reweighted_weight
    from unit_weights
),

-- the best and the worst score of each child over the units compared
ideals as (
    select
        *,
        max(case when taking_part then child_score end)
            over (partition by parent_id, child_id, scope_period, scope_group) as ideal_score,
        min(case when taking_part then child_score end)
            over (partition by parent_id, child_id, scope_period, scope_group) as anti_ideal_score
    from reweighted
),

distances as (
    select
        unit_code,
        period,
        parent_id,
        any_value(taking_part_weight) as taking_part_weight,
        sum(reweighted_weight * child_score) filter (where taking_part) as arithmetic_mean,
        sqrt(sum(power(reweighted_weight * (child_score - ideal_score), 2)) filter (where taking_part))
            as ideal_distance,
        sqrt(sum(power(reweighted_weight * (child_score - anti_ideal_score), 2)) filter (where taking_part))
            as anti_ideal_distance
    from ideals
    group by unit_code, period, parent_id
),

closeness as (
    select
        *,
        case
            when taking_part_weight is null or taking_part_weight <= 0 then null
            when ideal_distance + anti_ideal_distance = 0 then 0.5
            else anti_ideal_distance / (ideal_distance + anti_ideal_distance)
        end as closeness
    from distances
),

attributed as (
    select
        ideals.*,
        100.0 * closeness.closeness as parent_score,
        case
            when not ideals.taking_part or closeness.closeness is null then 0.0
            when closeness.arithmetic_mean > 0
                then 100.0 * closeness.closeness * ideals.reweighted_weight * ideals.child_score
                    / closeness.arithmetic_mean
            else 100.0 * closeness.closeness * ideals.reweighted_weight
        end as attribution
    from ideals
    join closeness
        on closeness.unit_code = ideals.unit_code
            and closeness.period = ideals.period
            and closeness.parent_id = ideals.parent_id
),

final as (
    select
        unit_code,
        period,
        parent_id,
        level,
        child_id,
        weight,
        child_score,
        taking_part,
        false as nonpositive,
        0.0 as shift,
        reweighted_weight,
        parent_score,
        attribution,
        case
            when reweighted_weight > 0 then attribution / reweighted_weight - child_score
            else 0.0
        end as adjustment
    from attributed
)

select * from final
