-- Step 05 treat, moments (table treat_moments): for every indicator and period, the distribution of the
-- values as currently winsorised (treat_state's bounds), its skewness and kurtosis, and whether it passes.
-- Skewness and kurtosis are the sample-adjusted G1 and G2 (Excel's SKEW / KURT, pandas' skew() / kurt(),
-- e1071 type 2, COINr's skew() / kurt()), with m_k = sum((x - mean)^k) / n:
--   G1 = m3 / m2^1.5 × sqrt(n (n - 1)) / (n - 2)                                   (n >= 3)
--   G2 = ((n + 1) (m4 / m2^2 - 3) + 6) × (n - 1) / ((n - 2) (n - 3))               (n >= 4)
-- An indicator fails when |G1| >= treat_skew AND G2 >= treat_kurtosis (COINr's check_SkewKurt); where G1 or
-- G2 is undefined (too few values, or all equal) it passes: there is nothing to treat.
-- winsorised_points counts the values the bounds have changed (COINr's nwin: tied extremes count each);
-- next_high / next_low are the next distinct values inwards from the current maximum / minimum.
-- Everything comes from one scan of the screened cells and one aggregation per indicator and period (the
-- count of clipped values included: a second scan and join for it cost a third of this step's time).
with

screen as (
    select indicator_id, period, filled_value from screen where filled_value is not null
),

treat_state as (
    select * from treat_state
),

current_values as (
    select
        screen.indicator_id,
        screen.period,
        screen.filled_value as untreated_value,
        case
            when treat_state.clip_high is not null and screen.filled_value > treat_state.clip_high
                then treat_state.clip_high
            when treat_state.clip_low is not null and screen.filled_value < treat_state.clip_low
                then treat_state.clip_low
            else screen.filled_value
        end as value,
        screen.filled_value > treat_state.clip_high or screen.filled_value < treat_state.clip_low as clipped
    from screen
    join treat_state
        on treat_state.indicator_id = screen.indicator_id
            and treat_state.period = screen.period
),

deviations as (
    select
        current_values.*,
        value - avg(value) over indicator_period as deviation,
        max(value) over indicator_period as current_max,
        min(value) over indicator_period as current_min
    from current_values
    window indicator_period as (partition by indicator_id, period)
),

sums as (
    select
        indicator_id,
        period,
        cast(count(*) as double) as n,
        sum(deviation ^ 2) as sum_2,
        sum(deviation ^ 3) as sum_3,
        sum(deviation ^ 4) as sum_4,
        min(value) as min_value,
        max(value) as max_value,
        min(untreated_value) as untreated_min,
        max(untreated_value) as untreated_max,
        max(value) filter (where value < current_max) as next_high,
        min(value) filter (where value > current_min) as next_low,
        count(*) filter (where clipped) as winsorised_points
    from deviations
    group by indicator_id, period
),

moments as (
    select
        sums.*,
        case
            when n >= 3 and max_value > min_value
                then sqrt(n) * sum_3 / sum_2 ^ 1.5 * sqrt(n * (n - 1)) / (n - 2)
        end as skewness,
        case
            when n >= 4 and max_value > min_value
                then ((n + 1) * (n * sum_4 / sum_2 ^ 2 - 3) + 6) * (n - 1) / ((n - 2) * (n - 3))
        end as kurtosis
    from sums
),

final as (
    select
        moments.indicator_id,
        moments.period,
        cast(moments.n as integer) as n,
        moments.min_value,
        moments.max_value,
        moments.untreated_min,
        moments.untreated_max,
        moments.next_high,
        moments.next_low,
        moments.skewness,
        moments.kurtosis,
        moments.skewness is null or moments.kurtosis is null
        or abs(moments.skewness) < getvariable('treat_skew')
        or moments.kurtosis < getvariable('treat_kurtosis') as passes,
        cast(moments.winsorised_points as integer) as winsorised_points
    from moments
)

select * from final
