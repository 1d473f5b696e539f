-- Published table indicator_values: every indicator for every unit (盟市 or 旗县市区) and year, from the
-- submitted figure to its contribution (for each unit and year the contributions add up to its composite
-- score), plus one 自治区 row (unit_code 150000, unit_level 'region') per indicator and year where the 盟市 can be
-- combined (the shared view region_values, sql/release/shared/). Region rows use reported figures only and
-- are not scored.
with

indicator_results as (select * from indicator_results),

treat as (select unit_code, period, indicator_id, treated_value, treatment from treat),

units as (select * from units),

region_values as (select * from region_values),

unit_rows as (
    select
        getvariable('release_id') as release_id,
        cast(indicator_results.unit_code as integer) as unit_code,
        units.unit_name,
        units.unit_level,
        cast(units.parent_code as integer) as parent_code,
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
        1 as units_covered
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
        region_values.unit_code,
        region_values.unit_name,
        'region' as unit_level,
        cast(null as integer) as parent_code,
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
        cast(region_values.leagues_covered as integer) as units_covered
    from region_values
),

final as (
    select * from unit_rows
    union all
    select * from region_rows
)

select * from final
order by year, unit_level, unit_code, indicator_id
