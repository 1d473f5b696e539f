-- Step 01 stage: the latest reported value of every framework variable (indicators and denominators) on the
-- full grid units × periods × variables. A cell nobody reported keeps raw_value NULL, as does a cell reported
-- as missing. Periods are every period in which any unit of `units` reported any framework variable
-- (even as NULL). Variables not in the framework and units not in `units` are ignored.
-- Keys: unit_code is of enum type engine_unit (the units), variable_id of engine_node (the framework's nodes),
-- both created by index/engine/stage.py. Every later step inherits them: joins, groups and sorts on small
-- integer codes instead of text. The engine's public tables show them as text (index/engine/__init__.py).
with

units as (
    select distinct unit_code from units
),

framework as (
    select node_id, node_type from framework
),

observations as not materialized (
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

-- not materialized: its second reader (resubmitted_cells) stops at once when no cell is reported twice
known_observations as not materialized (
    select
        cast(cast(observations.unit_code as varchar) as engine_unit) as unit_code,
        observations.period,
        cast(cast(observations.variable_id as varchar) as engine_node) as variable_id,
        observations.value,
        observations.loaded_at
    from observations
    semi join framework_variables on framework_variables.variable_id = observations.variable_id
    semi join units on units.unit_code = observations.unit_code
),

-- a resubmission corrects an earlier one: the row loaded last wins. Ties on loaded_at (or no loaded_at at
-- all) fall to the larger value, a reported NULL last, so the result never depends on row order.
reported_cells as (
    select unit_code, period, variable_id, count(*) as reports, any_value(value) as only_value
    from known_observations
    group by unit_code, period, variable_id
),

-- the tie-break (a struct key, slow) only for the few cells reported more than once
resubmitted_cells as (
    select
        known_observations.unit_code,
        known_observations.period,
        known_observations.variable_id,
        arg_max_null(
            known_observations.value,
            {
                'loaded_at': coalesce(known_observations.loaded_at, '-infinity'::timestamp),
                'value': coalesce(known_observations.value, '-infinity'::double)
            }
        ) as latest_value
    from known_observations
    semi join reported_cells
        on reported_cells.unit_code = known_observations.unit_code
        and reported_cells.period = known_observations.period
        and reported_cells.variable_id = known_observations.variable_id
        and reported_cells.reports > 1
    group by known_observations.unit_code, known_observations.period, known_observations.variable_id
),

latest_observations as (
    select
        reported_cells.unit_code,
        reported_cells.period,
        reported_cells.variable_id,
        reported_cells.reports,
        case when reported_cells.reports = 1 then reported_cells.only_value else resubmitted_cells.latest_value end
            as raw_value
    from reported_cells
    left join resubmitted_cells
        on resubmitted_cells.unit_code = reported_cells.unit_code
        and resubmitted_cells.period = reported_cells.period
        and resubmitted_cells.variable_id = reported_cells.variable_id
),

periods as (
    select distinct period from reported_cells
),

grid as (
    select
        cast(cast(units.unit_code as varchar) as engine_unit) as unit_code,
        periods.period,
        cast(framework_variables.variable_id as engine_node) as variable_id,
        framework_variables.variable_type
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
        latest_observations.raw_value,
        -- observation rows behind the cell (0: never reported); more than 1: resubmitted
        coalesce(latest_observations.reports, 0) as reports
    from grid
    left join latest_observations
        on latest_observations.unit_code = grid.unit_code
        and latest_observations.period = grid.period
        and latest_observations.variable_id = grid.variable_id
)

select * from final
