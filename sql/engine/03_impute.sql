-- Step 03 impute: fill missing denominated values. Variable impute_method:
--   none          nothing is filled
--   mean, median  the cross-section of the same indicator and period (reported values only)
--   panel_linear  linear interpolation between the unit's own nearest known periods before and after;
--                 the nearest known value is carried at either end
--   panel_latest  the unit's last known earlier value carried forward, else its next later value
--   group_mean, group_median  the cross-section of the same indicator and period among the units of the same
--                 group (table impute_groups, built by index/engine/impute.py); no group or no reported
--                 value in the group: the cell stays missing (COINr's i_mean_grp / i_median_grp)
--   knn           the mean of the k nearest units of the same period (table impute_knn, computed by
--                 scikit-learn's KNNImputer in index/engine/impute.py)
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

impute_groups as (
    select unit_code, group_value from impute_groups
),

impute_knn as (
    select unit_code, period, indicator_id, knn_value from impute_knn
),

group_cross_section as (
    select
        denominate.indicator_id,
        denominate.period,
        impute_groups.group_value,
        avg(denominate.denominated_value) as group_mean,
        median(denominate.denominated_value) as group_median
    from denominate
    join impute_groups on impute_groups.unit_code = denominate.unit_code
    group by denominate.indicator_id, denominate.period, impute_groups.group_value
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
        coalesce(previous_known_value, next_known_value) as panel_latest_value,
        group_cross_section.group_mean,
        group_cross_section.group_median,
        impute_knn.knn_value
    from panel_neighbours
    join cross_section
        on cross_section.indicator_id = panel_neighbours.indicator_id
        and cross_section.period = panel_neighbours.period
    left join impute_groups on impute_groups.unit_code = panel_neighbours.unit_code
    left join group_cross_section
        on group_cross_section.indicator_id = panel_neighbours.indicator_id
        and group_cross_section.period = panel_neighbours.period
        and group_cross_section.group_value = impute_groups.group_value
    left join impute_knn
        on impute_knn.unit_code = panel_neighbours.unit_code
        and impute_knn.period = panel_neighbours.period
        and impute_knn.indicator_id = panel_neighbours.indicator_id
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
            when getvariable('impute_method') = 'group_mean' then group_mean
            when getvariable('impute_method') = 'group_median' then group_median
            when getvariable('impute_method') = 'knn' then knn_value
        end as imputed_value,
        case
            when denominated_value is not null then null
            when getvariable('impute_method') in ('mean', 'median', 'group_mean', 'group_median', 'knn')
                then getvariable('impute_method')
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
