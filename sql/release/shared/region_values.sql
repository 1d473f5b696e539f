-- Shared view region_values (not a published table): the 自治区 figure of each indicator and year, combined
-- from the leagues' reported (denominated) figures. Denominated indicators are sum(numerator) /
-- sum(denominator) × scale over the leagues that reported both; percentages without a denominator are the
-- population-weighted mean. indicator_values.sql and target_attainment.sql both read it, so the 自治区 row
-- is defined once. Only the 盟市 rows enter (the 旗县 are inside them; adding both would count twice).
with

league_units as (select unit_code from units where unit_level = 'league'),

denominate as (
    select denominate.* from denominate
    semi join league_units on league_units.unit_code = cast(denominate.unit_code as varchar)
),

stage as (
    select stage.* from stage
    semi join league_units on league_units.unit_code = cast(stage.unit_code as varchar)
),

framework as (
    select
        node_id, cast(unit as varchar) as unit, cast(denominator as varchar) as denominator,
        coalesce(cast(denominator_scale as double), 1.0) as denominator_scale
    from framework where node_type = 'Indicator'
),

-- the population denominator that weights percentage indicators
population_node as (select 'population' as node_id),

region as (select 150000 as unit_code, '内蒙古自治区' as unit_name),

population as (
    select stage.unit_code, stage.period, stage.raw_value as population
    from stage join population_node on population_node.node_id = stage.variable_id
    where stage.variable_type = 'Denominator' and stage.raw_value > 0
),

summed as (
    -- numerator and denominator over the leagues that reported both
    select
        denominate.period,
        denominate.indicator_id,
        sum(denominate.raw_value) as raw_value,
        sum(denominate.raw_value) / sum(denominate.denominator_value) * any_value(framework.denominator_scale)
            as denominated_value,
        count(*) as leagues_covered
    from denominate
    join framework on framework.node_id = denominate.indicator_id
    where framework.denominator is not null
        and denominate.raw_value is not null and denominate.denominator_value > 0
    group by denominate.period, denominate.indicator_id
),

population_weighted as (
    select
        denominate.period,
        denominate.indicator_id,
        sum(denominate.denominated_value * population.population) / sum(population.population) as value,
        count(*) as leagues_covered
    from denominate
    join framework on framework.node_id = denominate.indicator_id
    join population on population.unit_code = denominate.unit_code and population.period = denominate.period
    where framework.denominator is null and framework.unit = '%' and denominate.denominated_value is not null
    group by denominate.period, denominate.indicator_id
),

combined as (
    select period, indicator_id, raw_value, denominated_value, leagues_covered from summed
    union all
    select period, indicator_id, value as raw_value, value as denominated_value, leagues_covered
    from population_weighted
),

final as (
    select
        region.unit_code,
        region.unit_name,
        combined.period,
        combined.indicator_id,
        combined.raw_value,
        combined.denominated_value,
        combined.leagues_covered
    from combined cross join region
)

select * from final
