-- Step 05 treat, one winsorisation pass (replaces table treat_state): every indicator-period that still
-- fails (treat_moments) and has winsorised fewer than treat_winmax points moves one bound one distinct value
-- inwards, on the tail the skewness points to (skewness >= 0: the highest value(s) become the next highest;
-- else the lowest become the next lowest). Ties at the extreme move together, as in COINr's winsorise().
-- index/engine/treat.py alternates 05_treat_moments.sql and this file, at most treat_winmax times.
with

treat_state as (
    select * from treat_state
),

treat_moments as (
    select * from treat_moments
),

moves as (
    select
        indicator_id,
        period,
        case when skewness >= 0 then next_high end as new_clip_high,
        case when skewness < 0 then next_low end as new_clip_low
    from treat_moments
    where not passes and winsorised_points < getvariable('treat_winmax')
),

final as (
    select
        treat_state.indicator_id,
        treat_state.period,
        coalesce(moves.new_clip_low, treat_state.clip_low) as clip_low,
        coalesce(moves.new_clip_high, treat_state.clip_high) as clip_high,
        treat_state.winsorise_passes + case when moves.indicator_id is not null then 1 else 0 end
            as winsorise_passes
    from treat_state
    left join moves
        on moves.indicator_id = treat_state.indicator_id
            and moves.period = treat_state.period
)

select * from final
