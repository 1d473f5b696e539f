-- Step 01 stage: the latest reported value of every framework variable (indicators and denominators) on the
-- full grid units × periods × variables. A cell nobody reported keeps raw_value NULL, as does a cell reported
-- as missing. Periods are every period in which any unit of `units` reported any framework variable
-- (even as NULL). Variables not in the framework and units not in `units` are ignored.
with

units as (
    select distinct unit_code from units
),

framework as (
    select node_id, node_type from framework
),

observations as (
    select unit_code, cast(period as integer) as period, variable_id, cast(value as double) as value, loaded_at
    from observations
),

framework_variables as (
    select
        node_id as variable_id,
        node_type as variable_type
    from framework
    where node_type in ('Indicator', 'Denominator')
),

known_observations as (
    select observations.*
    from observations
    semi join framework_variables on framework_variables.variable_id = observations.variable_id
    semi join units on units.unit_code = observations.unit_code
),

-- a resubmission corrects an earlier one: the row loaded last wins. Ties on loaded_at (or no loaded_at at
-- all) fall to the larger value, a reported NULL last, so the result never depends on row order.
latest_observations as (
    select
        unit_code,
        period,
        variable_id,
        arg_max_null(
            value,
            {'loaded_at': coalesce(loaded_at, '-infinity'::timestamp), 'value': coalesce(value, '-infinity'::double)}
        ) as raw_value
    from known_observations
    group by unit_code, period, variable_id
),

periods as (
    select distinct period from known_observations
),

grid as (
    select units.unit_code, periods.period, framework_variables.variable_id, framework_variables.variable_type
    from units
    cross join periods
    cross join framework_variables
),

final as (
    select
        grid.unit_code,
        grid.period,
        grid.variable_id,
        grid.variable_type,
        latest_observations.raw_value
    from grid
    left join latest_observations
        on latest_observations.unit_code = grid.unit_code
        and latest_observations.period = grid.period
        and latest_observations.variable_id = grid.variable_id
)

select * from final
