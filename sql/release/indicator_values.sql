-- Published table indicator_values: every indicator for every 盟市 and year, from the submitted figure
-- to its contribution (for each league and year the contributions add up to the composite score), plus one
-- 自治区 row (league_code 150000, level_kind 'region') per indicator and year where the leagues can be
-- combined (the shared view region_values, sql/release/shared/). Region rows use reported figures only and
-- are not scored.
with

indicator_results as (select * from indicator_results),

treat as (select unit_code, period, indicator_id, treated_value, treatment from treat),

units as (select * from units),

region_values as (select * from region_values),

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
        cast(treat.treated_value as double) as treated,
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

region_rows as (
    select
        getvariable('release_id') as release_id,
        region_values.league_code,
        region_values.league_name,
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
    from region_values
),

final as (
    select * from league_rows
    union all
    select * from region_rows
)

select * from final
order by year, level_kind, league_code, indicator_id
