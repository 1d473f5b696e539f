-- Step 06 normalise: put every indicator on a common scale, polarity applied so that higher = better.
-- Definitions follow COINr's n_* functions (R/normalise.R in bluefoxr/COINr), where COINr's Normalise first
-- multiplies x by the direction (polarity); here d = polarity × x is that "directed" value.
-- Variable normalise_method:
--   minmax     lo + (d - min d) / (max d - min d) × (hi - lo)                                    (n_minmax)
--              (for polarity -1 this equals hi - (x - min x) / (max x - min x) × (hi - lo))
--   zscore     (d - mean d) / sd d × normalise_sd + normalise_mean, sd the sample sd (n - 1, R's sd()) (n_zscore)
--   prank      (rank of d - 1) / (n - 1), ties share the lowest rank ("sport" ranking), in [0, 1]  (n_prank)
--   rank       rank of d, 1 = lowest, ties get the average of their ranks (R's rank() default; COINr's
--              n_rank hard-codes ties "min" whatever its ties.method says)
--   goalposts  (x - lower) / (upper - lower), or for polarity -1 (upper - x) / (upper - lower): the posts
--              are given in the indicator's own units and swap roles; clamped to [0, 1] when
--              goalpost_trunc2posts (default true), then × goalpost_scale (default 1)               (n_goalposts;
--              COINr also negates the scale for direction -1, which makes every score negative: not copied)
--   dist2targ  1 - (t - d) / (t - min d) with t = polarity × target: for polarity +1 that is
--              1 - (target - x) / (target - min x), for -1 it is 1 - (x - target) / (max x - target);
--              COINr leaves the target un-negated for direction -1; capped at 1 when normalise_cap_max
--              (n_dist2targ). A target equal to the scope's worst value gives everyone 1.
--   base_period x / x in period normalise_base_period × 100 for the same unit; polarity -1 inverts the ratio
--              (x_base / x × 100) so that a fall scores above 100. NULL when the divisor is not > 0.
--              Per unit: normalise_scope does not apply.
-- normalise_scope  panel: statistics pooled over all periods of the indicator (scores comparable across
--                  periods); year: computed per period. Either within each unit's group when [normalise]
--                  group names one (table normalise_groups, e.g. each 旗县 against its 盟市's other 旗县).
-- A constant indicator (every present value equal within its scope) carries no information and gets the
-- middle of the scale: (lo + hi) / 2 for minmax, normalise_mean for zscore, 0.5 for prank; plain ranks
-- give (n + 1) / 2 by themselves. Goalposts, dist2targ and base_period use fixed references and need no rule.
-- Missing values (treated_value NULL) stay NULL.
with

-- the treated cells with their directed values and scopes (06_normalise_scoped.sql)
scoped as (
    select * from normalise_scoped
),

input_values as (
    select unit_code, period, indicator_id, treated_value from treat
),

framework as (
    select
        node_id as indicator_id,
        cast(polarity as double) as polarity,
        target,
        goalpost_lower,
        goalpost_upper,
        coalesce(goalpost_scale, 1.0) as goalpost_scale,
        coalesce(goalpost_trunc2posts, true) as goalpost_trunc2posts
    from framework
    where node_type = 'Indicator'
),

scope_statistics as (
    select
        indicator_id,
        scope_period,
        scope_group,
        count(directed_value) as scope_count,
        min(directed_value) as scope_min,
        max(directed_value) as scope_max,
        avg(directed_value) as scope_mean,
        stddev_samp(directed_value) as scope_sd
    from scoped
    group by indicator_id, scope_period, scope_group
),

ranked as (
    select
        scoped.*,
        -- NULLs sort last, so they never push a present value's rank
        rank() over (scope order by directed_value nulls last) as lowest_rank,
        count(*) over (partition by indicator_id, scope_period, scope_group, directed_value) as tied_values
    from scoped
    window scope as (partition by indicator_id, scope_period, scope_group)
),

base_values as (
    select unit_code, indicator_id, treated_value as base_value
    from input_values
    where period = getvariable('normalise_base_period')
),

prepared as (
    select
        ranked.*,
        scope_statistics.scope_count,
        scope_statistics.scope_min,
        scope_statistics.scope_max,
        scope_statistics.scope_mean,
        scope_statistics.scope_sd,
        scope_statistics.scope_max = scope_statistics.scope_min as scope_constant,
        framework.polarity * framework.target as directed_target,
        framework.goalpost_lower,
        framework.goalpost_upper,
        framework.goalpost_scale,
        framework.goalpost_trunc2posts,
        base_values.base_value
    from ranked
    join scope_statistics
        on scope_statistics.indicator_id = ranked.indicator_id
            and scope_statistics.scope_period is not distinct from ranked.scope_period
            and scope_statistics.scope_group is not distinct from ranked.scope_group
    join framework on framework.indicator_id = ranked.indicator_id
    left join base_values
        on base_values.unit_code = ranked.unit_code
            and base_values.indicator_id = ranked.indicator_id
),

goalpost_shares as (
    select
        prepared.*,
        case
            when polarity < 0 then (goalpost_upper - treated_value) / (goalpost_upper - goalpost_lower)
            else (treated_value - goalpost_lower) / (goalpost_upper - goalpost_lower)
        end as goalpost_share,
        case
            when directed_target = scope_min then 1.0
            else 1.0 - (directed_target - directed_value) / (directed_target - scope_min)
        end as target_share
    from prepared
),

normalised as (
    select
        goalpost_shares.*,
        case
            when treated_value is null then null
            when getvariable('normalise_method') = 'minmax'
                then
                    case
                        when scope_constant then (getvariable('normalise_lo') + getvariable('normalise_hi')) / 2.0
                        else getvariable('normalise_lo')
                            + (directed_value - scope_min) / (scope_max - scope_min)
                            * (getvariable('normalise_hi') - getvariable('normalise_lo'))
                    end
            when getvariable('normalise_method') = 'zscore'
                then
                    case
                        when scope_sd is null or scope_sd = 0 then getvariable('normalise_mean')
                        else (directed_value - scope_mean) / scope_sd * getvariable('normalise_sd')
                            + getvariable('normalise_mean')
                    end
            when getvariable('normalise_method') = 'prank'
                then
                    case
                        when scope_constant then 0.5
                        else (lowest_rank - 1.0) / (scope_count - 1.0)
                    end
            when getvariable('normalise_method') = 'rank' then lowest_rank + (tied_values - 1.0) / 2.0
            when getvariable('normalise_method') = 'goalposts'
                then
                    goalpost_scale * case
                        when goalpost_trunc2posts then least(greatest(goalpost_share, 0.0), 1.0)
                        else goalpost_share
                    end
            when getvariable('normalise_method') = 'dist2targ'
                then
                    case when getvariable('normalise_cap_max') then least(target_share, 1.0) else target_share end
            when getvariable('normalise_method') = 'base_period' then
                case
                    when polarity < 0
                        then
                            case when treated_value > 0 and base_value > 0 then base_value / treated_value * 100.0 end
                    else case when base_value > 0 then treated_value / base_value * 100.0 end
                end
        end as normalised
    from goalpost_shares
),

-- the keys and the normalised value only: writing a table of every cell costs more with each column it
-- carries. The filled and treated values stay in treat; indicator_results takes the reported figures from
-- impute.
final as (
    select
        unit_code,
        period,
        indicator_id,
        cast(normalised as double) as normalised
    from normalised
)

select * from final
