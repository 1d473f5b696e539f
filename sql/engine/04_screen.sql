-- Step 04 screen, part 2 (table screen): the imputed cells of the unit-periods screen_units keeps, with the
-- columns of table impute unchanged. Every later step reads from here on, so a screened-out unit is absent
-- from treatment, normalisation, aggregation and the outputs.
with

impute as (
    select * from impute
),

kept_units as (
    select unit_code, period from screen_units where kept
),

final as (
    select impute.*
    from impute
    semi join kept_units
        on kept_units.unit_code = impute.unit_code
            and kept_units.period = impute.period
)

select * from final
