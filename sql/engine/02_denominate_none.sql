-- Step 02 denominate, nothing to divide (view denominate): no [denominate] section, or no indicator names a
-- denominator. The indicators' cells of stage as reported, in the columns of 02_denominate.sql; a view,
-- since copying every cell unchanged would cost a pass and a table.
with

stage as (
    select unit_code, period, variable_id, variable_type, raw_value from stage
),

final as (
    select
        unit_code,
        period,
        variable_id as indicator_id,
        raw_value,
        cast(null as varchar) as denominator_id,
        cast(null as double) as denominator_value,
        raw_value as denominated_value
    from stage
    where variable_type = 'Indicator'
)

select * from final
