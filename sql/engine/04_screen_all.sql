-- Step 04 screen, nobody can be dropped (view screen, screen_min_data = 0): every imputed cell, the columns of
-- table impute unchanged. A view: a copy of impute would cost a pass and a table for nothing.
with

impute as (
    select * from impute
),

final as (
    select * from impute
)

select * from final
