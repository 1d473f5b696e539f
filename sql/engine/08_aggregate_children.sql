-- Step 08 aggregate, one level, child rows (table aggregate_children_level): every child of every Aggregate node at
-- level getvariable('aggregate_level'), for each unit and period, with the parent's score and the child's share
-- of it. 08_aggregate.sql reduces these rows to the parents' scores; index/engine/aggregate.py appends them to
-- table aggregate_children, from which 08_aggregate_contributions.sql attributes the root score to indicators.
-- The children, their weights and scores come from view aggregate_child_scores (08_aggregate_child_scores.sql);
-- topsis has its own file with these columns, 08_aggregate_topsis.sql.
-- A child takes part when it has a score and a weight > 0; the weights are rescaled over the children taking
-- part (w~ = w / W, W their sum), for every method (COINr's a_amean does this; its generalised mean does not).
-- No child taking part: no score. Variable aggregate_method:
--   amean     A = sum(w~ x)
--   gmean     exp(sum(w~ ln x))
--   hmean     1 / sum(w~ / x)
--   genmean   (sum(w~ x^p))^(1/p), p = getvariable('aggregate_p'); p = 0 is the geometric mean
--   copeland  per period, for each pair of units (i, j) over the children both have: the weighted share of
--             children where i beats j minus the share where j beats i (ties count for neither), summed over
--             the rivals j; range -(n - 1) .. n - 1. COINr's a_copeland sums its outranking matrix instead
--             (beats + half the ties), which is (this + n - 1) / 2 without missing data.
-- gmean, hmean and genmean with p <= 0 need children > 0, genmean with p > 0 children >= 0: a child breaking
-- that is flagged `nonpositive`. getvariable('aggregate_nonpositive') = 'shift' then adds, per node,
-- shift = 1 - (smallest child taking part in any unit or period) before the mean and subtracts it after;
-- 'error' leaves the flag for aggregate.py to report (no logarithm of a non-positive number is ever taken).
-- Attribution: `attribution` is the child's share of the parent score (the shares add up to it):
--   amean                  w~ x
--   gmean, hmean, genmean  w~ (x - (A - score)): the arithmetic share minus the child's weight share of the
--                          penalty A - score that the non-compensatory mean charges for unbalanced children
--   copeland               sum over rivals j of w / W_ij × sign(x_i - x_j)
-- `adjustment` = attribution / w~ - x (0 where w~ = 0) is what the child adds to the arithmetic rule; the
-- contribution of an indicator to the root is its effective weight × (normalised + the adjustments of every node
-- on its path), which adds up to the root score exactly (see 08_aggregate_contributions.sql).
with

-- the children with their weights and scores (08_aggregate_child_scores.sql, shared with 08_aggregate_topsis.sql)
child_scores as (
    select * from aggregate_child_scores
),

flagged as (
    select
        child_scores.*,
        taking_part and case getvariable('aggregate_method')
            when 'gmean' then child_score <= 0
            when 'hmean' then child_score <= 0
            when 'genmean'
                then
                    case when getvariable('aggregate_p') <= 0 then child_score <= 0 else child_score < 0 end
            else false
        end as nonpositive
    from child_scores
),

-- one constant per node over the whole data set, so periods stay comparable
node_shifts as (
    select
        parent_id,
        case
            when getvariable('aggregate_nonpositive') = 'shift' and bool_or(nonpositive)
                then 1.0 - min(child_score) filter (where taking_part)
            else 0.0
        end as shift
    from flagged
    group by parent_id
),

shifted as (
    select
        flagged.*,
        node_shifts.shift,
        flagged.child_score + node_shifts.shift as shifted_score,
        -- the value the power means may use: never a non-positive number under a logarithm or a division
        case when flagged.taking_part and flagged.child_score + node_shifts.shift > 0
                then flagged.child_score + node_shifts.shift
        end as usable_score
    from flagged
    join node_shifts on node_shifts.parent_id = flagged.parent_id
),

node_sums as (
    select
        unit_code,
        period,
        parent_id,
        any_value(shift) as shift,
        sum(weight) filter (where taking_part) as taking_part_weight,
        sum(weight * child_score) filter (where taking_part) as weighted_sum,
        sum(weight * ln(usable_score)) as weighted_log_sum,
        sum(weight / usable_score) as weighted_reciprocal_sum,
        sum(weight * power(usable_score, getvariable('aggregate_p')))
        filter (where getvariable('aggregate_p') <> 0) as weighted_power_sum,
        -- genmean with p > 0 allows a child of exactly 0
        sum(weight * power(greatest(shifted_score, 0.0), getvariable('aggregate_p')))
        filter (where taking_part and getvariable('aggregate_p') > 0) as weighted_power_sum_with_zeros
    from shifted
    group by unit_code, period, parent_id
),

-- copeland: every pair of units of the same period compared on each child both have
pairs as (
    select
        unit.unit_code,
        unit.period,
        unit.parent_id,
        unit.child_id,
        unit.weight,
        rival.unit_code as rival_code,
        sign(unit.child_score - rival.child_score) as outcome
    from shifted as unit
    join shifted as rival
        on rival.period = unit.period
            and rival.parent_id = unit.parent_id
            and rival.child_id = unit.child_id
            and rival.unit_code <> unit.unit_code
    where getvariable('aggregate_method') = 'copeland' and unit.taking_part and rival.taking_part
),

pair_weights as (
    select unit_code, rival_code, period, parent_id, sum(weight) as common_weight
    from pairs
    group by unit_code, rival_code, period, parent_id
),

copeland_shares as (
    select
        pairs.unit_code,
        pairs.period,
        pairs.parent_id,
        pairs.child_id,
        sum(pairs.weight * pairs.outcome / pair_weights.common_weight) as copeland_share
    from pairs
    join pair_weights
        on pair_weights.unit_code = pairs.unit_code
            and pair_weights.rival_code = pairs.rival_code
            and pair_weights.period = pairs.period
            and pair_weights.parent_id = pairs.parent_id
    group by pairs.unit_code, pairs.period, pairs.parent_id, pairs.child_id
),

node_scores as (
    select
        unit_code,
        period,
        parent_id,
        taking_part_weight,
        weighted_sum / taking_part_weight as arithmetic_mean,
        case
            when taking_part_weight is null or taking_part_weight <= 0 then null
            when getvariable('aggregate_method') = 'amean' then weighted_sum / taking_part_weight
            when getvariable('aggregate_method') = 'gmean'
                or (getvariable('aggregate_method') = 'genmean' and getvariable('aggregate_p') = 0)
                then exp(weighted_log_sum / taking_part_weight) - shift
            when getvariable('aggregate_method') = 'hmean'
                then taking_part_weight / weighted_reciprocal_sum - shift
            when getvariable('aggregate_method') = 'genmean' and getvariable('aggregate_p') > 0
                then power(weighted_power_sum_with_zeros / taking_part_weight, 1.0 / getvariable('aggregate_p'))
                    - shift
            when getvariable('aggregate_method') = 'genmean'
                then power(weighted_power_sum / taking_part_weight, 1.0 / getvariable('aggregate_p')) - shift
            when getvariable('aggregate_method') = 'copeland' then 0.0  -- the shares below are added on
        end as mean_score
    from node_sums
),

child_shares as (
    select
        shifted.unit_code,
        shifted.period,
        shifted.parent_id,
        shifted.level,
        shifted.child_id,
        shifted.weight,
        shifted.child_score,
        shifted.taking_part,
        shifted.nonpositive,
        shifted.shift,
        node_scores.mean_score,
        node_scores.arithmetic_mean,
        case when shifted.taking_part then shifted.weight / node_scores.taking_part_weight else 0.0 end
            as reweighted_weight,
        coalesce(copeland_shares.copeland_share, 0.0) as copeland_share
    from shifted
    join node_scores
        on node_scores.unit_code = shifted.unit_code
            and node_scores.period = shifted.period
            and node_scores.parent_id = shifted.parent_id
    left join copeland_shares
        on copeland_shares.unit_code = shifted.unit_code
            and copeland_shares.period = shifted.period
            and copeland_shares.parent_id = shifted.parent_id
            and copeland_shares.child_id = shifted.child_id
),

attributed as (
    select
        child_shares.*,
        case
            when not taking_part or mean_score is null then 0.0
            when getvariable('aggregate_method') = 'amean' then reweighted_weight * child_score
            when getvariable('aggregate_method') = 'copeland' then copeland_share
            else reweighted_weight * (child_score - (arithmetic_mean - mean_score))
        end as attribution
    from child_shares
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
        nonpositive,
        shift,
        reweighted_weight,
        case
            when getvariable('aggregate_method') = 'copeland' and mean_score is not null
                then sum(attribution) over (partition by unit_code, period, parent_id)
            else mean_score
        end as parent_score,
        attribution,
        case
            when reweighted_weight > 0 then attribution / reweighted_weight - child_score
            else 0.0
        end as adjustment
    from attributed
)

select * from final
