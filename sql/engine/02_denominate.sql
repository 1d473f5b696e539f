-- Step 02 denominate: divide an indicator by the denominator its framework row names, times
-- denominator_scale (1 when NULL). The denominated value is NULL when the indicator or the denominator is
-- missing, or the denominator is 0. Variable denominate (boolean): false leaves every value as reported.
with

stage as (
    select * from stage
),

framework as (
    -- casts: a framework where no indicator is denominated may arrive with all-NULL untyped columns
    select node_id, cast(denominator as varchar) as denominator, cast(denominator_scale as double) as denominator_scale
    from framework
    where node_type = 'Indicator'
),

indicator_values as (
    select unit_code, period, variable_id as indicator_id, raw_value
    from stage
    where variable_type = 'Indicator'
),

denominator_values as (
    select unit_code, period, variable_id as denominator_id, raw_value as denominator_value
    from stage
    where variable_type = 'Denominator'
),

indicators_with_denominator as (
    select
        indicator_values.*,
        case when getvariable('denominate') then framework.denominator end as denominator_id,
        coalesce(framework.denominator_scale, 1.0) as denominator_scale
    from indicator_values
    join framework on framework.node_id = indicator_values.indicator_id
),

denominated as (
    select
        indicators_with_denominator.unit_code,
        indicators_with_denominator.period,
        indicators_with_denominator.indicator_id,
        indicators_with_denominator.raw_value,
        indicators_with_denominator.denominator_id,
        denominator_values.denominator_value,
        case
            when indicators_with_denominator.denominator_id is null then indicators_with_denominator.raw_value
            when denominator_values.denominator_value is null or denominator_values.denominator_value = 0 then null
            else indicators_with_denominator.raw_value / denominator_values.denominator_value
                * indicators_with_denominator.denominator_scale
        end as denominated_value
    from indicators_with_denominator
    left join denominator_values
        on denominator_values.unit_code = indicators_with_denominator.unit_code
            and denominator_values.period = indicators_with_denominator.period
            and denominator_values.denominator_id = indicators_with_denominator.denominator_id
),

final as (
    select * from denominated
)

select * from final
