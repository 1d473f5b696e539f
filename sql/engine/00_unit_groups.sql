-- Shared helper (tables impute_groups, normalise_groups, rank_groups; index/engine/groups.py): each unit's
-- value of the unit_groups column named by variable group_column (e.g. COINr's EurAsia_group, or the DEI
-- 旗县's parent 盟市). A unit without a value for that column has no group: impute leaves its gaps missing (as
-- COINr does), normalise scales it with the other ungrouped units, rank ranks it among them.
with

unit_groups as (
    select unit_code, group_column, group_value from unit_groups
),

final as (
    select distinct
        cast(unit_code as varchar) as unit_code,
        cast(group_value as varchar) as group_value
    from unit_groups
    where group_column = getvariable('group_column')
        and group_value is not null
)

select * from final
