-- Step 06 normalise, shared (view normalise_scoped, read by 06_normalise.sql and 06_normalise_scale.sql): every
-- treated cell with its indicator's polarity, the directed value d = polarity × x (COINr's Normalise multiplies x
-- by the direction first) and its scope: the period when normalise_scope = 'period' (else NULL: the whole
-- panel), and the unit's group when [normalise] group names one (table normalise_groups, built by
-- index/engine/groups.py; no rows: all units together). A view: the method's file reads it where it scans.
with

treat as (
    select * from treat
),

framework as (
    select cast(node_id as engine_node) as indicator_id, cast(polarity as double) as polarity
    from framework
    where node_type = 'Indicator'
),

normalise_groups as (
    select try_cast(unit_code as engine_unit) as unit_code, group_value as scope_group from normalise_groups
),

final as (
    select
        treat.*,
        framework.polarity,
        framework.polarity * treat.treated_value as directed_value,
        case when getvariable('normalise_scope') = 'period' then treat.period end as scope_period,
        normalise_groups.scope_group
    from treat
    join framework on framework.indicator_id = treat.indicator_id
    left join normalise_groups on normalise_groups.unit_code = treat.unit_code
)

select * from final
