-- Step 03 impute, panel methods (variable impute_method = panel_linear | panel_latest): fill a missing
-- denominated value from the unit's own history.
--   panel_linear  linear interpolation between the unit's nearest known periods before and after; the nearest
--                 known value is carried at either end
--   panel_latest  the unit's last known earlier value carried forward, else its next later value
-- A unit with no value in any period gets the cross-section mean of that indicator and period (reported values
-- only); such cells record imputation = 'mean'. Columns as 03_impute.sql: filled_value is the reported value
-- where there is one, else the fill; imputed is true exactly for the cells filled here; a cell with nothing to
-- fill from stays NULL. Only the series with a gap are sorted for their neighbours (both from one sort: same
-- partition and order); complete series pass through unchanged.
with

denominate as (
    select * from denominate
),

cross_section as (
    select indicator_id, period, avg(denominated_value) as cross_section_mean
    from denominate
    group by indicator_id, period
),

-- only the series with a gap need their neighbours (a sort); the others pass through
series_with_gaps as (
    select unit_code, indicator_id
    from denominate
    group by unit_code, indicator_id
    having count(denominated_value) < count(*)
),

gap_cells as (
    select denominate.*
    from denominate
    semi join series_with_gaps
        on series_with_gaps.unit_code = denominate.unit_code
        and series_with_gaps.indicator_id = denominate.indicator_id
),

panel_neighbours as (
    select
        gap_cells.*,
        last_value(case when denominated_value is not null then period end ignore nulls) over earlier
            as previous_known_period,
        last_value(denominated_value ignore nulls) over earlier as previous_known_value,
        first_value(case when denominated_value is not null then period end ignore nulls) over later
            as next_known_period,
        first_value(denominated_value ignore nulls) over later as next_known_value
    from gap_cells
    window
        earlier as (partition by unit_code, indicator_id order by period
                    rows between unbounded preceding and current row),
        later as (partition by unit_code, indicator_id order by period
                  rows between current row and unbounded following)
),

candidates as (
    select
        panel_neighbours.* exclude (previous_known_period, next_known_period),
        case
            when previous_known_period is not null and next_known_period is not null
                and next_known_period > previous_known_period
                then previous_known_value
                    + (next_known_value - previous_known_value)
                    * cast(panel_neighbours.period - previous_known_period as double)
                    / cast(next_known_period - previous_known_period as double)
            else coalesce(previous_known_value, next_known_value)
        end as panel_linear_value,
        coalesce(previous_known_value, next_known_value) as panel_latest_value,
        cross_section.cross_section_mean
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
            when getvariable('impute_method') = 'panel_linear' then coalesce(panel_linear_value, cross_section_mean)
            else coalesce(panel_latest_value, cross_section_mean)
        end as imputed_value,
        case
            when denominated_value is not null then null
            when panel_latest_value is not null then getvariable('impute_method')
            else 'mean'
        end as imputation_candidate
    from candidates
),

filled_cells as (
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
),

complete_cells as (
    select
        unit_code,
        period,
        indicator_id,
        raw_value,
        denominator_id,
        denominator_value,
        denominated_value,
        denominated_value as filled_value,
        false as imputed,
        cast(null as varchar) as imputation
    from denominate
    anti join series_with_gaps
        on series_with_gaps.unit_code = denominate.unit_code
        and series_with_gaps.indicator_id = denominate.indicator_id
),

final as (
    select * from filled_cells
    union all
    select * from complete_cells
)

select * from final
