-- Step 05 treat, start (table treat_state): one row per indicator and period with data, no clipping yet.
-- clip_low / clip_high are the current winsorisation bounds (NULL = that tail untouched); each pass of
-- 05_treat_winsorise.sql moves one of them one distinct value inwards.
with

screen as (
    select indicator_id, period, filled_value from screen
),

final as (
    select distinct
        indicator_id,
        period,
        cast(null as double) as clip_low,
        cast(null as double) as clip_high,
        0 as winsorise_passes
    from screen
    where filled_value is not null
)

select * from final
