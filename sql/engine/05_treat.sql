-- Step 05 treat (table treat): the screened cells with outliers treated as treat_indicators decided: the
-- columns of table impute (filled_value the imputed value, as impute left it), plus treated_value (what
-- normalisation reads) and treatment (winsorised_high / winsorised_low for a value set to a bound, log for
-- every value of a log-transformed indicator, NULL where nothing changed).
-- Each period is treated on its own (COINr treats a panel one time point at a time).
with

screen as (
    select * from screen
),

treat_indicators as (
    select * from treat_indicators
),

treated as (
    select
        screen.*,
        case
            when screen.filled_value is null then null
            when treat_indicators.treatment = 'log'
                then ln(
                        screen.filled_value - treat_indicators.untreated_min
                        + 0.01 * (treat_indicators.untreated_max - treat_indicators.untreated_min)
                    )
            when treat_indicators.treatment = 'winsorised' and screen.filled_value > treat_indicators.clip_high
                then treat_indicators.clip_high
            when treat_indicators.treatment = 'winsorised' and screen.filled_value < treat_indicators.clip_low
                then treat_indicators.clip_low
            else screen.filled_value
        end as treated_value,
        case
            when screen.filled_value is null then null
            when treat_indicators.treatment = 'log' then 'log'
            when treat_indicators.treatment = 'winsorised' and screen.filled_value > treat_indicators.clip_high
                then 'winsorised_high'
            when treat_indicators.treatment = 'winsorised' and screen.filled_value < treat_indicators.clip_low
                then 'winsorised_low'
        end as treatment
    from screen
    left join treat_indicators
        on treat_indicators.indicator_id = screen.indicator_id
            and treat_indicators.period = screen.period
),

final as (
    select * from treated
)

select * from final
