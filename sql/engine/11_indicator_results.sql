-- Step 11 output indicator_results: one row per unit × period × indicator, from the reported figure to its
-- contribution to the root score (normalised × effective weight relative to the root under amean; under other
-- means the attribution of 08_aggregate_contributions.sql, which also adds up to the root score).
with

weight as (
    select * from aggregate_contribution
),

-- the reported, denominated and imputed figures of each cell (table normalise holds only the keys and the
-- normalised value)
impute as (
    select unit_code, period, indicator_id, raw_value, denominated_value, imputed, imputation from impute
),

final as (
    select
        weight.unit_code,
        cast(weight.period as integer) as period,
        weight.indicator_id,
        cast(impute.raw_value as double) as raw_value,
        cast(impute.denominated_value as double) as denominated_value,
        cast(impute.imputed as boolean) as imputed,
        cast(impute.imputation as varchar) as imputation,
        cast(weight.normalised as double) as normalised,
        cast(weight.effective_weight as double) as effective_weight,
        cast(weight.contribution as double) as contribution
    from weight
    join impute
        on impute.unit_code = weight.unit_code
            and impute.period = weight.period
            and impute.indicator_id = weight.indicator_id
)

select * from final
