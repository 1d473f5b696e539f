-- Step 12 audit, indicators: per indicator and period, and pooled over the whole panel (period NULL), the
-- statistics of COINr's get_stats() on the data BEFORE imputation (denominated_value), with its flags.
-- Shares are over the units of the grid (availability) or over the available values (zeros, unique);
-- skew and kurt are the sample-adjusted G1 and G2 (DuckDB skewness()/kurtosis() equal pandas skew()/kurt()
-- and COINr's skew()/kurt(), which follow e1071 type 2); NULL with fewer than 3 / 4 values or no spread.
-- Variables: audit_t_avail, audit_t_zero, audit_t_unq, audit_t_skew, audit_t_kurt.
with

denominate as (
    select unit_code, period, indicator_id, denominated_value from denominate
),

framework as (
    select node_id as indicator_id from framework where node_type = 'Indicator'
),

indicator_values as (
    select denominate.*
    from denominate
    semi join framework on framework.indicator_id = denominate.indicator_id
),

-- each cell twice: once in its own period, once in the pooled scope (period NULL)
scoped as (
    select indicator_id, period as scope_period, denominated_value as value from indicator_values
    union all
    select indicator_id, null as scope_period, denominated_value as value from indicator_values
),

counted as (
    select
        indicator_id,
        scope_period,
        count(*) as cells,
        count(value) as available,
        count(value) filter (where value = 0) as zeros,
        count(distinct value) as unique_values,
        skewness(value) as skew,
        kurtosis(value) as kurt
    from scoped
    group by indicator_id, scope_period
),

shares as (
    select
        counted.*,
        available / nullif(cells, 0) as availability,
        zeros / nullif(available, 0) as share_zeros,
        unique_values / nullif(available, 0) as share_unique
    from counted
),

-- COINr flags "LOW" when the non-zero share < t_zero, i.e. the share of zeros > 1 - t_zero
final as (
    select
        cast(indicator_id as varchar) as indicator_id,
        cast(scope_period as integer) as period,
        cast(cells as integer) as cells,
        cast(available as integer) as available,
        cast(availability as double) as availability,
        cast(zeros as integer) as zeros,
        cast(share_zeros as double) as share_zeros,
        cast(unique_values as integer) as unique_values,
        cast(share_unique as double) as share_unique,
        cast(skew as double) as skew,
        cast(kurt as double) as kurt,
        coalesce(availability < getvariable('audit_t_avail'), false) as flag_availability,
        coalesce(share_zeros > 1 - getvariable('audit_t_zero'), false) as flag_zeros,
        coalesce(share_unique < getvariable('audit_t_unq'), false) as flag_unique,
        coalesce(abs(skew) > getvariable('audit_t_skew') and kurt > getvariable('audit_t_kurt'), false)
            as flag_outliers
    from shares
)

select * from final order by indicator_id, period nulls last
