-- Published table target_attainment: for each unit (盟市, 旗县市区, and the 自治区 row, unit_level 'region', from the shared
-- view region_values, as in indicator_values.sql) and each indicator with a 2025 target, the share of the
-- target reached in each year and whether the unit is on track: the compound annual growth between its
-- previous reported year and this year, extrapolated to the target year, reaches the target. Reported
-- (denominated) figures only; polarity -1 (lower is better) reads target / value.
with

denominate as (select * from denominate),

units as (select * from units),

framework as (
    select
        node_id, cast(unit as varchar) as unit,
        cast(polarity as integer) as polarity, cast(target_2025 as double) as target_2025
    from framework where node_type = 'Indicator'
),

target_year as (select 2025 as target_year),

region_values as (select * from region_values),

unit_values as (
    select
        cast(denominate.unit_code as integer) as unit_code,
        units.unit_name,
        units.unit_level,
        cast(units.parent_code as integer) as parent_code,
        cast(denominate.period as integer) as year,
        denominate.indicator_id,
        denominate.denominated_value as value
    from denominate
    left join units on units.unit_code = denominate.unit_code
),

region_rows as (
    select
        region_values.unit_code, region_values.unit_name, 'region' as unit_level,
        cast(null as integer) as parent_code,
        cast(region_values.period as integer) as year, region_values.indicator_id,
        region_values.denominated_value as value
    from region_values
),

all_values as (
    select * from unit_values
    union all
    select * from region_rows
),

with_targets as (
    select all_values.*, framework.unit, framework.polarity, framework.target_2025
    from all_values
    join framework on framework.node_id = all_values.indicator_id
    where framework.target_2025 is not null
),

with_previous as (
    select
        with_targets.*,
        -- the unit's previous reported year and value (skipping gaps)
        lag(case when value is not null then year end ignore nulls) over by_unit as previous_year,
        lag(value ignore nulls) over by_unit as previous_value
    from with_targets
    window by_unit as (partition by unit_code, indicator_id order by year)
),

growth as (
    select
        with_previous.*,
        case
            when value > 0 and previous_value > 0 and year > previous_year
                then pow(value / previous_value, 1.0 / (year - previous_year)) - 1
        end as growth_rate
    from with_previous
),

projected as (
    select
        growth.*,
        target_year.target_year,
        case
            when value is null then null
            when year >= target_year.target_year then value
            when growth_rate is not null then value * pow(1 + growth_rate, target_year.target_year - year)
        end as projected_value
    from growth cross join target_year
),

final as (
    select
        getvariable('release_id') as release_id,
        unit_code,
        unit_name,
        unit_level,
        parent_code,
        year,
        indicator_id,
        unit,
        polarity,
        target_2025,
        value,
        case
            when value is null or target_2025 = 0 then null
            when polarity = -1 then case when value > 0 then target_2025 / value end
            else value / target_2025
        end as attainment,
        case
            when value is null then null
            when polarity = -1 then value <= target_2025
            else value >= target_2025
        end as target_reached,
        growth_rate,
        projected_value as projected_2025,
        case
            when projected_value is null then null
            when polarity = -1 then projected_value <= target_2025
            else projected_value >= target_2025
        end as on_track
    from projected
)

select
    release_id, unit_code, unit_name, unit_level, parent_code, year, indicator_id, unit, polarity, target_2025, value,
    attainment, target_reached, growth_rate, projected_2025, on_track or coalesce(target_reached, false) as on_track
from final
order by year, unit_level, unit_code, indicator_id
