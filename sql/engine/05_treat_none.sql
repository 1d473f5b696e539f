-- Step 05 treat, method none (view treat): the screened cells unchanged, in the columns of 05_treat.sql
-- (treated_value = filled_value, treatment NULL). A view: nothing is computed, so nothing is copied.
with

screen as (
    select * from screen
),

final as (
    select
        *,
        filled_value as treated_value,
        cast(null as varchar) as treatment
    from screen
)

select * from final
