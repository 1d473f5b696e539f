-- Step 03 impute: fill missing denominated values (panel_linear and panel_latest: 03_impute_panel.sql, the
-- same columns). Variable impute_method:
--   none          nothing is filled
--   mean, median  the cross-section of the same indicator and period (reported values only)
--   group_mean, group_median  the cross-section of the same indicator and period among the units of the same
--                 group (table impute_groups, built by index/engine/impute.py); no group or no reported
--                 value in the group: the cell stays missing (COINr's i_mean_grp / i_median_grp)
--   knn           the mean of the k nearest units of the same period (table impute_knn, computed by
--                 scikit-learn's KNNImputer in index/engine/impute.py)
-- filled_value is the reported value where there is one, else the fill;
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

candidates as (
    select
        denominate.*,
        cross_section.cross_section_mean,
        cross_section.cross_section_median,
        group_cross_section.group_mean,
        group_cross_section.group_median,
        impute_knn.knn_value
    from denominate
    join cross_section
        on cross_section.indicator_id = denominate.indicator_id
            and cross_section.period = denominate.period
    left join impute_groups on impute_groups.unit_code = denominate.unit_code
    left join group_cross_section
        on group_cross_section.indicator_id = denominate.indicator_id
            and group_cross_section.period = denominate.period
            and group_cross_section.group_value = impute_groups.group_value
    left join impute_knn
        on impute_knn.unit_code = denominate.unit_code
            and impute_knn.period = denominate.period
            and impute_knn.indicator_id = denominate.indicator_id
),

filled as (
    select
        candidates.*,
        case
            when denominated_value is not null then null
            when getvariable('impute_method') = 'mean' then cross_section_mean
            when getvariable('impute_method') = 'median' then cross_section_median
            when getvariable('impute_method') = 'group_mean' then group_mean
            when getvariable('impute_method') = 'group_median' then group_median
            when getvariable('impute_method') = 'knn' then knn_value
        end as imputed_value,
        case
            when denominated_value is not null then null
            when getvariable('impute_method') in ('mean', 'median', 'group_mean', 'group_median', 'knn')
                then getvariable('impute_method')
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
