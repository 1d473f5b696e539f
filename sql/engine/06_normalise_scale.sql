-- Step 06 normalise, minmax and zscore (variable normalise_method): the same definitions as 06_normalise.sql,
-- which holds every method, but without its ranks (a sort of every cell) and base-period values, which these
-- two methods never read. Polarity applied: d = polarity × x.
--   minmax  lo + (d - min d) / (max d - min d) × (hi - lo); a constant scope gets (lo + hi) / 2
--   zscore  (d - mean d) / sd d × normalise_sd + normalise_mean (sd: n - 1); a constant scope gets the mean
-- normalise_scope panel: statistics pooled over all periods of the indicator; year: per period; either within
-- each unit's group when [normalise] group names one (table normalise_groups).
-- Missing values (treated_value NULL) stay NULL.
with

-- the treated cells with their directed values and scopes (06_normalise_scoped.sql); not materialized: both
-- readers rescan the cells, cheaper than a copy of every cell
scoped as not materialized (
    select * from normalise_scoped
),

scope_statistics as (
    select
        indicator_id,
        scope_period,
        scope_group,
        min(directed_value) as scope_min,
        max(directed_value) as scope_max,
        avg(directed_value) as scope_mean,
        stddev_samp(directed_value) as scope_sd
    from scoped
    group by indicator_id, scope_period, scope_group
),

normalised as (
    select
        scoped.*,
        case
            when scoped.treated_value is null then null
            when getvariable('normalise_method') = 'minmax'
                then
                    case
                        when scope_statistics.scope_max = scope_statistics.scope_min
                            then (getvariable('normalise_lo') + getvariable('normalise_hi')) / 2.0
                        else getvariable('normalise_lo')
                            + (scoped.directed_value - scope_statistics.scope_min)
                            / (scope_statistics.scope_max - scope_statistics.scope_min)
                            * (getvariable('normalise_hi') - getvariable('normalise_lo'))
                    end
            when getvariable('normalise_method') = 'zscore' then
                case
                    when scope_statistics.scope_sd is null or scope_statistics.scope_sd = 0
                        then getvariable('normalise_mean')
                    else (scoped.directed_value - scope_statistics.scope_mean) / scope_statistics.scope_sd
                        * getvariable('normalise_sd') + getvariable('normalise_mean')
                end
        end as normalised
    from scoped
    join scope_statistics
        on scope_statistics.indicator_id = scoped.indicator_id
            and scope_statistics.scope_period is not distinct from scoped.scope_period
            and scope_statistics.scope_group is not distinct from scoped.scope_group
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
