-- Step 04 screen, part 1 (table screen_units): data availability of every unit and period, the share of
-- the framework's indicators that have a value, counted on the reported values (variable screen_on = 'raw':
-- raw_value, before denomination and imputation) or on the imputed data (screen_on = 'imputed': filled_value).
-- A unit-period is kept when its share is at least screen_min_data (COINr's Screen, unit_screen = "byNA",
-- dat_thresh); screen_min_data = 0 keeps everyone.
with

impute as (
    select unit_code, period, indicator_id, raw_value, filled_value from impute
),

availability as (
    select
        unit_code,
        period,
        count(*) as indicators,
        count(*) filter (
            where case when getvariable('screen_on') = 'raw' then raw_value else filled_value end is not null
        ) as indicators_present
    from impute
    group by unit_code, period
),

final as (
    select
        unit_code,
        period,
        indicators,
        indicators_present,
        indicators_present / indicators as data_availability,
        indicators_present / indicators >= getvariable('screen_min_data') as kept
    from availability
)

select * from final
