-- Step 05 treat, method none (view treat): the screened cells unchanged, in the columns of 05_treat.sql
-- (untreated_value = filled_value, treatment NULL). A view: nothing is computed, so nothing is copied.
with

screen as (
    select * from screen
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
        filled_value,
        imputed,
        imputation,
        filled_value as untreated_value,
        cast(null as varchar) as treatment
    from screen
)

select * from final
