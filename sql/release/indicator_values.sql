-- Published table indicator_values: every indicator for every 盟市 and year, from the submitted figure
-- to its contribution. For each league and year the contributions add up to the composite score.
with

indicator_results as (select * from indicator_results),

final as (
    select
        cast(unit_code as integer) as league_code,
        cast(period as integer) as year,
        indicator_id,
        raw_value,
        denominated_value,
        imputed,
        imputation,
        normalised,
        effective_weight,
        contribution
    from indicator_results
)

select * from final
order by year, league_code, indicator_id
