-- Published table indicator_values: every indicator for every 盟市 and year, from the submitted figure
-- to its contribution (for each league and year the contributions add up to the composite score), plus one
-- 自治区 row (league_code 150000, level_kind 'region') per indicator and year where the leagues can be
-- combined: denominated indicators as sum(numerator) / sum(denominator) × scale, percentages as the
-- population-weighted mean. Region rows use reported figures only and are not scored.
with

indicator_results as (select * from indicator_results),

treat as (select unit_code, period, indicator_id, filled_value, treatment from treat),

denominate as (select * from denominate),

stage as (select * from stage),

units as (select * from units),

framework as (
    select node_id, cast(unit as varchar) as unit, cast(denominator as varchar) as denominator,
           coalesce(cast(denominator_scale as double), 1.0) as denominator_scale
    from framework where node_type = 'Indicator'
),

-- the population denominator that weights percentage indicators (same constant in target_attainment.sql)
population_node as (select 'population' as node_id),

region as (select 150000 as league_code, '内蒙古自治区' as league_name),

population as (
    select stage.unit_code, stage.period, stage.raw_value as population
    from stage join population_node on population_node.node_id = stage.variable_id
    where stage.variable_type = 'Denominator' and stage.raw_value > 0
),

league_rows as (
    select
        getvariable('release_id') as release_id,
        cast(indicator_results.unit_code as integer) as league_code,
        units.unit_name as league_name,
        'league' as level_kind,
        cast(indicator_results.period as integer) as year,
        indicator_results.indicator_id,
        indicator_results.raw_value,
        indicator_results.denominated_value,
        indicator_results.imputed,
        indicator_results.imputation,
        cast(treat.filled_value as double) as treated,
        cast(treat.treatment as varchar) as treatment,
        indicator_results.normalised,
        indicator_results.effective_weight,
        indicator_results.contribution,
        1 as leagues_covered
    from indicator_results
    left join units on units.unit_code = indicator_results.unit_code
    left join treat
        on treat.unit_code = indicator_results.unit_code
        and treat.period = indicator_results.period
        and treat.indicator_id = indicator_results.indicator_id
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

region_values as (
    select period, indicator_id, raw_value, denominated_value, leagues_covered from summed
    union all
    select period, indicator_id, value, value, leagues_covered from population_weighted
),

region_rows as (
    select
        getvariable('release_id') as release_id,
        region.league_code,
        region.league_name,
        'region' as level_kind,
        cast(region_values.period as integer) as year,
        region_values.indicator_id,
        region_values.raw_value,
        region_values.denominated_value,
        false as imputed,
        cast(null as varchar) as imputation,
        cast(null as double) as treated,
        cast(null as varchar) as treatment,
        cast(null as double) as normalised,
        cast(null as double) as effective_weight,
        cast(null as double) as contribution,
        cast(region_values.leagues_covered as integer) as leagues_covered
    from region_values cross join region
),

final as (
    select * from league_rows
    union all
    select * from region_rows
)

select * from final
order by year, level_kind, league_code, indicator_id
