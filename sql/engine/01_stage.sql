-- Step 01 stage: the latest reported value of every framework variable (indicators and denominators) on the
-- full grid units × periods × variables. A cell nobody reported keeps raw_value NULL, as does a cell reported
-- as missing. Periods are every period in which any unit of `units` reported any framework variable
-- (even as NULL). Variables not in the framework and units not in `units` are ignored.
-- Keys: unit_code is of enum type engine_unit (the units), variable_id of engine_node (the framework's nodes),
-- both created by index/engine/stage.py. Every later step inherits them: joins, groups and sorts on small
-- integer codes instead of text. The engine's public tables show them as text (index/engine/__init__.py).
-- Lean by design: a cell-level group-by (one hash entry per cell) is the costliest thing here, so the cells
-- are summarised per series block instead (unit × variable × block of 64 periods; bit i of reported_periods
-- = period i of the block was reported). Only blocks where a period was reported twice are de-duplicated
-- cell by cell, and the unreported cells are read off the bits, never found by joining the full grid.
with

units as (
    select distinct cast(cast(unit_code as varchar) as engine_unit) as unit_code
    from units
    where unit_code is not null
),

framework_variables as (
    select
        cast(node_id as engine_node) as variable_id,
        node_type as variable_type
    from framework
    where node_type in ('Indicator', 'Denominator')
),

-- the text keys become enum codes once (each cast is costly: a string lookup per row). A unit or variable
-- outside the enum (not in `units`, not a framework node) casts to NULL.
coded_observations as (
    select
        try_cast(cast(unit_code as varchar) as engine_unit) as unit_code,
        cast(period as integer) as period,
        try_cast(cast(variable_id as varchar) as engine_node) as variable_id,
        cast(value as double) as value,
        loaded_at
    from observations
    where period is not null
),

-- read several times. Units and variables outside the enums are dropped; so are aggregates, by the semi join.
known_observations as materialized (
    select coded_observations.*
    from coded_observations
    semi join framework_variables on framework_variables.variable_id = coded_observations.variable_id
    where coded_observations.unit_code is not null
),

first_period as (
    select min(period) as first_period from known_observations
),

-- period p sits in block (p - first period) // 64 at bit (p - first period) % 64
located_observations as not materialized (
    select
        known_observations.*,
        (known_observations.period - first_period.first_period) // 64 as period_block,
        cast((known_observations.period - first_period.first_period) % 64 as ubigint) as period_bit
    from known_observations
    cross join first_period
),

periods as (
    select
        period,
        (period - first_period.first_period) // 64 as period_block,
        cast((period - first_period.first_period) % 64 as ubigint) as period_bit
    from (select distinct period from known_observations)
    cross join first_period
),

series_blocks as (
    select
        unit_code,
        variable_id,
        period_block,
        count(*) as reports,
        bit_or(cast(1 as ubigint) << period_bit) as reported_periods
    from located_observations
    group by unit_code, variable_id, period_block
),

-- a resubmission corrects an earlier one: only blocks with a period reported twice need the cell-level work
resubmitted_blocks as (
    select unit_code, variable_id, period_block
    from series_blocks
    where bit_count(reported_periods) < reports
),

reported_once_cells as (
    select
        located_observations.unit_code,
        located_observations.period,
        located_observations.variable_id,
        located_observations.value as raw_value,
        1 as reports
    from located_observations
    anti join resubmitted_blocks
        on resubmitted_blocks.unit_code = located_observations.unit_code
            and resubmitted_blocks.variable_id = located_observations.variable_id
            and resubmitted_blocks.period_block = located_observations.period_block
),

-- the row loaded last wins. Ties on loaded_at (or no loaded_at at all) fall to the larger value, a reported
-- NULL last, so the result never depends on row order.
resubmitted_cells as (
    select
        located_observations.unit_code,
        located_observations.period,
        located_observations.variable_id,
        arg_max_null(
            located_observations.value,
            {
                'loaded_at': coalesce(located_observations.loaded_at, '-infinity'::timestamp),
                'value': coalesce(located_observations.value, '-infinity'::double)
            }
        ) as raw_value,
        count(*) as reports
    from located_observations
    semi join resubmitted_blocks
        on resubmitted_blocks.unit_code = located_observations.unit_code
            and resubmitted_blocks.variable_id = located_observations.variable_id
            and resubmitted_blocks.period_block = located_observations.period_block
    group by located_observations.unit_code, located_observations.period, located_observations.variable_id
),

blocks as (
    select distinct period_block from periods
),

-- the periods of a block some of whose periods were reported, read off its bits
unreported_in_reported_blocks as (
    select series_blocks.unit_code, periods.period, series_blocks.variable_id
    from series_blocks
    join periods on periods.period_block = series_blocks.period_block
    where (series_blocks.reported_periods >> periods.period_bit) & 1 = 0
),

-- every period of a block nobody reported anything in
unreported_blocks as (
    select units.unit_code, framework_variables.variable_id, blocks.period_block
    from units
    cross join framework_variables
    cross join blocks
    anti join series_blocks
        on series_blocks.unit_code = units.unit_code
            and series_blocks.variable_id = framework_variables.variable_id
            and series_blocks.period_block = blocks.period_block
),

unreported_cells as (
    select unit_code, period, variable_id, cast(null as double) as raw_value, 0 as reports
    from unreported_in_reported_blocks

    union all

    select unreported_blocks.unit_code, periods.period, unreported_blocks.variable_id, null, 0
    from unreported_blocks
    join periods on periods.period_block = unreported_blocks.period_block
),

cells as (
    select * from reported_once_cells
    union all
    select * from resubmitted_cells
    union all
    select * from unreported_cells
),

final as (
    select
        cells.unit_code,
        cells.period,
        cells.variable_id,
        -- an enum: a text column would cost a string per cell
        cast(framework_variables.variable_type as enum('Indicator', 'Denominator')) as variable_type,
        cells.raw_value,
        -- observation rows behind the cell (0: never reported); more than 1: resubmitted
        cast(cells.reports as integer) as reports
    from cells
    join framework_variables on framework_variables.variable_id = cells.variable_id
)

select * from final
