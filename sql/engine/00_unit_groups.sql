-- Step 03 impute, helper (table impute_groups): each unit's value of the group column named by variable
-- impute_group (e.g. COINr's EurAsia_group), for group_mean / group_median. A unit without a value for that
-- column has no group, so its gaps stay missing (as in COINr).
with

unit_groups as (
    select unit_code, group_column, group_value from unit_groups
),

final as (
    select distinct
        cast(unit_code as varchar) as unit_code,
        cast(group_value as varchar) as group_value
    from unit_groups
    where group_column = getvariable('impute_group')
        and group_value is not null
)

select * from final
