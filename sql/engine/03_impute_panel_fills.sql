-- Step 03 impute, panel methods, part 1 (table impute_fills): a fill for every missing denominated value from
-- the unit's own history (variable impute_method = panel_linear | panel_latest).
--   panel_linear  linear interpolation between the unit's nearest known periods before and after; the nearest
--                 known value is carried at either end
--   panel_latest  the unit's last known earlier value carried forward, else its next later value
-- A unit with no value in any period gets the cross-section mean of that indicator and period (reported values
-- only); such cells record imputation = 'mean'. A cell with nothing to fill from stays NULL.
-- Lean by design: only the missing cells are looked at. Each meets the known cells of its own series in one
-- hash join (the missing cells are the small side), and the nearest known period on either side is a
-- group-by; no window sorts the panel. 03_impute_panel.sql lays these rows over the known cells.
with

-- read twice, each time filtered: never copied whole
denominate as not materialized (
    select * from denominate
),

missing_cells as materialized (
    select * from denominate where denominated_value is null
),

known_cells as (
    select unit_code, period, indicator_id, denominated_value
    from denominate
    where denominated_value is not null
),

cross_section as (
    select indicator_id, period, avg(denominated_value) as cross_section_mean
    from known_cells
    group by indicator_id, period
),

-- for each missing cell: the unit's nearest known period before and after, with their values
panel_neighbours as (
    select
        missing_cells.unit_code,
        missing_cells.period,
        missing_cells.indicator_id,
        max(known_cells.period) filter (where known_cells.period < missing_cells.period) as previous_known_period,
        arg_max(known_cells.denominated_value, known_cells.period) filter (
            where known_cells.period < missing_cells.period
        )
            as previous_known_value,
        min(known_cells.period) filter (where known_cells.period > missing_cells.period) as next_known_period,
        arg_min(known_cells.denominated_value, known_cells.period) filter (
            where known_cells.period > missing_cells.period
        )
            as next_known_value
    from missing_cells
    join known_cells
        on known_cells.unit_code = missing_cells.unit_code
            and known_cells.indicator_id = missing_cells.indicator_id
    group by missing_cells.unit_code, missing_cells.period, missing_cells.indicator_id
),

candidates as (
    select
        missing_cells.*,
        case
            when panel_neighbours.previous_known_period is not null and panel_neighbours.next_known_period is not null
                then panel_neighbours.previous_known_value
                    + (panel_neighbours.next_known_value - panel_neighbours.previous_known_value)
                    * cast(missing_cells.period - panel_neighbours.previous_known_period as double)
                    / cast(panel_neighbours.next_known_period - panel_neighbours.previous_known_period as double)
            else coalesce(panel_neighbours.previous_known_value, panel_neighbours.next_known_value)
        end as panel_linear_value,
        coalesce(panel_neighbours.previous_known_value, panel_neighbours.next_known_value) as panel_latest_value,
        cross_section.cross_section_mean
    from missing_cells
    left join panel_neighbours
        on panel_neighbours.unit_code = missing_cells.unit_code
            and panel_neighbours.period = missing_cells.period
            and panel_neighbours.indicator_id = missing_cells.indicator_id
    left join cross_section
        on cross_section.indicator_id = missing_cells.indicator_id
            and cross_section.period = missing_cells.period
),

filled as (
    select
        candidates.*,
        case
            when getvariable('impute_method') = 'panel_linear' then coalesce(panel_linear_value, cross_section_mean)
            else coalesce(panel_latest_value, cross_section_mean)
        end as imputed_value,
        case
            when panel_latest_value is not null then getvariable('impute_method')
            else 'mean'
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
        imputed_value as filled_value,
        imputed_value is not null as imputed,
        case when imputed_value is not null then imputation_candidate end as imputation
    from filled
)

select * from final
