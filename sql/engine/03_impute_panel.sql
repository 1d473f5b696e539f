-- Step 03 impute, panel methods (view impute): every denominated cell with its filled value. Known cells pass
-- through (filled_value = denominated_value, imputed false); missing cells take their row of table
-- impute_fills (03_impute_panel_fills.sql). Columns as 03_impute.sql. A view: the known cells, nearly all of
-- the panel, are not copied.
with

denominate as (
    select * from denominate
),

impute_fills as (
    select * from impute_fills
),

known_cells as (
    -- denominate's columns, then those 03_impute.sql adds
    select
        *,
        denominated_value as filled_value,
        false as imputed,
        cast(null as varchar) as imputation
    from denominate
    where denominated_value is not null
),

final as (
    select * from known_cells
    union all
    select * from impute_fills
)

select * from final
