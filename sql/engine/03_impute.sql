-- Step 03 impute: fill missing denominated values. Variable impute_method:
--   none          nothing is filled
--   mean, median  the cross-section of the same indicator and period (reported values only)
--   panel_linear  linear interpolation between the unit's own nearest known periods before and after;
--                 the nearest known value is carried at either end
--   panel_latest  the unit's last known earlier value carried forward, else its next later value
-- For the panel methods a unit with no value in any period gets the cross-section mean of that period; such
-- cells record imputation = 'mean'. filled_value is the reported value where there is one, else the fill;
-- imputed is true exactly for the cells filled here. A cell with nothing to fill from stays NULL.
with

denominate as (
    select * from denominate
),

cross_section as (
    select
        indicator_id,
        period,
        avg(denominated_value) as cross_section_mean,
        median(denominated_value) as cross_section_median
    from denominate
    group by indicator_id, period
),

panel_neighbours as (
    select
        denominate.*,
        last_value(case when denominated_value is not null then period end ignore nulls) over earlier
            as previous_known_period,
        last_value(denominated_value ignore nulls) over earlier as previous_known_value,
        first_value(case when denominated_value is not null then period end ignore nulls) over later
            as next_known_period,
        first_value(denominated_value ignore nulls) over later as next_known_value
    from denominate
    window
        earlier as (partition by unit_code, indicator_id order by period
                    rows between unbounded preceding and current row),
        later as (partition by unit_code, indicator_id order by period
                  rows between current row and unbounded following)
),

candidates as (
    select
        panel_neighbours.*,
        cross_section.cross_section_mean,
        cross_section.cross_section_median,
        case
            when previous_known_period is not null and next_known_period is not null
                and next_known_period > previous_known_period
                then previous_known_value
                    + (next_known_value - previous_known_value)
                    * cast(panel_neighbours.period - previous_known_period as double)
                    / cast(next_known_period - previous_known_period as double)
            else coalesce(previous_known_value, next_known_value)
        end as panel_linear_value,
        coalesce(previous_known_value, next_known_value) as panel_latest_value
    from panel_neighbours
    join cross_section
        on cross_section.indicator_id = panel_neighbours.indicator_id
        and cross_section.period = panel_neighbours.period
),

filled as (
    select
        candidates.*,
        case
            when denominated_value is not null then null
            when getvariable('impute_method') = 'mean' then cross_section_mean
            when getvariable('impute_method') = 'median' then cross_section_median
            when getvariable('impute_method') = 'panel_linear' then coalesce(panel_linear_value, cross_section_mean)
            when getvariable('impute_method') = 'panel_latest' then coalesce(panel_latest_value, cross_section_mean)
        end as imputed_value,
        case
            when denominated_value is not null then null
            when getvariable('impute_method') in ('mean', 'median') then getvariable('impute_method')
            when getvariable('impute_method') in ('panel_linear', 'panel_latest') then
                case when panel_latest_value is not null then getvariable('impute_method') else 'mean' end
        end as imputation_candidate
    from candidates
),

final as (
    select
        unit_code,
        period,
        indicator_id,
        raw_value,
        denominator_id,
        denominator_value,
        denominated_value,
        coalesce(denominated_value, imputed_value) as filled_value,
        imputed_value is not null as imputed,
        case when imputed_value is not null then imputation_candidate end as imputation
    from filled
)

select * from final
