-- Step 05 treat, decision (table treat_indicators): what happens to each indicator in each period.
--   none        treat_method 'none', or the untreated values pass the skewness / kurtosis check
--   winsorised  they fail, and winsorising (05_treat_winsorise.sql, up to treat_winmax points) makes them pass
--   log         winsorising up to treat_winmax points does not help: back to the untreated values,
--               log(x - min + 0.01 (max - min)) (COINr's log_CT, applied to the original values)
-- treat_initial holds 05_treat_moments.sql on the untreated values, treat_moments on the final bounds.
with

treat_initial as (
    select * from treat_initial
),

treat_moments as (
    select * from treat_moments
),

treat_state as (
    select * from treat_state
),

decided as (
    select
        treat_initial.indicator_id,
        treat_initial.period,
        treat_initial.n,
        treat_initial.untreated_min,
        treat_initial.untreated_max,
        treat_initial.skewness as skewness_before,
        treat_initial.kurtosis as kurtosis_before,
        case
            when getvariable('treat_method') = 'none' or treat_initial.passes then 'none'
            when treat_moments.passes then 'winsorised'
            else 'log'
        end as treatment,
        treat_state.clip_low,
        treat_state.clip_high,
        treat_moments.winsorised_points,
        treat_moments.skewness as skewness_winsorised,
        treat_moments.kurtosis as kurtosis_winsorised
    from treat_initial
    join treat_moments
        on treat_moments.indicator_id = treat_initial.indicator_id
            and treat_moments.period = treat_initial.period
    join treat_state
        on treat_state.indicator_id = treat_initial.indicator_id
            and treat_state.period = treat_initial.period
),

final as (
    select
        indicator_id,
        period,
        n,
        skewness_before,
        kurtosis_before,
        treatment,
        untreated_min,
        untreated_max,
        case when treatment = 'winsorised' then clip_low end as clip_low,
        case when treatment = 'winsorised' then clip_high end as clip_high,
        case when treatment = 'winsorised' then winsorised_points else 0 end as winsorised_points,
        -- what the winsorisation reached (also when it was not enough and log was used instead)
        case when treatment <> 'none' then skewness_winsorised end as skewness_winsorised,
        case when treatment <> 'none' then kurtosis_winsorised end as kurtosis_winsorised
    from decided
)

select * from final
