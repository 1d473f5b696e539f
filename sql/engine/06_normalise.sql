-- Step 04 normalise: put every indicator on a common scale, polarity applied so that higher = better.
-- Variables:
--   normalise_method  minmax: lo + (x - min) / (max - min) * (hi - lo); for polarity -1 the scale is
--                     reversed: hi - (x - min) / (max - min) * (hi - lo)
--                     zscore: polarity * (x - mean) / sd, sd the sample standard deviation (n - 1, as R's
--                     sd() in COINr); normalise_lo / normalise_hi are ignored
--   normalise_lo, normalise_hi  the target range of minmax
--   normalise_scope   panel: min, max, mean and sd pooled over all periods of the indicator (scores are
--                     comparable across periods); year: computed per period
-- A constant indicator (max = min, or sd 0 or undefined) carries no information: every unit gets the middle
-- of the scale, (lo + hi) / 2 for minmax and 0 for zscore, so it neither helps nor hurts anyone.
-- Missing values (filled_value NULL) stay NULL.
with

impute as (
    select * from impute
),

framework as (
    select node_id as indicator_id, cast(polarity as double) as polarity
    from framework
    where node_type = 'Indicator'
),

scoped as (
    select
        impute.*,
        framework.polarity,
        -- one scope per indicator (panel) or per indicator and period (year)
        case when getvariable('normalise_scope') = 'year' then impute.period end as scope_period
    from impute
    join framework on framework.indicator_id = impute.indicator_id
),

scope_statistics as (
    select
        indicator_id,
        scope_period,
        min(filled_value) as scope_min,
        max(filled_value) as scope_max,
        avg(filled_value) as scope_mean,
        stddev_samp(filled_value) as scope_sd
    from scoped
    group by indicator_id, scope_period
),

normalised as (
    select
        scoped.*,
        case
            when scoped.filled_value is null then null
            when getvariable('normalise_method') = 'minmax' then
                case
                    when scope_statistics.scope_max = scope_statistics.scope_min
                        then (getvariable('normalise_lo') + getvariable('normalise_hi')) / 2.0
                    when scoped.polarity < 0
                        then getvariable('normalise_hi')
                            - (scoped.filled_value - scope_statistics.scope_min)
                            / (scope_statistics.scope_max - scope_statistics.scope_min)
                            * (getvariable('normalise_hi') - getvariable('normalise_lo'))
                    else getvariable('normalise_lo')
                        + (scoped.filled_value - scope_statistics.scope_min)
                        / (scope_statistics.scope_max - scope_statistics.scope_min)
                        * (getvariable('normalise_hi') - getvariable('normalise_lo'))
                end
            when getvariable('normalise_method') = 'zscore' then
                case
                    when scope_statistics.scope_sd is null or scope_statistics.scope_sd = 0 then 0.0
                    else scoped.polarity * (scoped.filled_value - scope_statistics.scope_mean)
                        / scope_statistics.scope_sd
                end
        end as normalised
    from scoped
    join scope_statistics
        on scope_statistics.indicator_id = scoped.indicator_id
        and scope_statistics.scope_period is not distinct from scoped.scope_period
),

final as (
    select
        unit_code,
        period,
        indicator_id,
        raw_value,
        denominator_id,
        denominator_value,
        denominated_value,
        filled_value,
        imputed,
        imputation,
        polarity,
        cast(normalised as double) as normalised
    from normalised
)

select * from final
