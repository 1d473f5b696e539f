-- Output indicator_results: one row per unit × period × indicator, from the reported figure to its
-- contribution to the root score (normalised × effective weight relative to the root under amean; under other
-- means the attribution of 08_aggregate_contributions.sql, which also adds up to the root score).
with

weight as (
    select * from aggregate_contribution
),

final as (
    select
        unit_code,
        cast(period as integer) as period,
        indicator_id,
        cast(raw_value as double) as raw_value,
        cast(denominated_value as double) as denominated_value,
        cast(imputed as boolean) as imputed,
        cast(imputation as varchar) as imputation,
        cast(normalised as double) as normalised,
        cast(effective_weight as double) as effective_weight,
        cast(contribution as double) as contribution
    from weight
)

select * from final

