-- Step 06 aggregate, seed: the score table starts with the indicators, whose score is their normalised value.
-- 08_aggregate.sql then adds one level of aggregates at a time, lowest level first.
with

weight as (
    select unit_code, period, indicator_id, normalised from weight
),

framework as (
    select node_id, cast(level as integer) as level from framework where node_type = 'Indicator'
),

final as (
    select
        weight.unit_code,
        weight.period,
        weight.indicator_id as node_id,
        framework.level,
        'Indicator' as node_type,
        weight.normalised as score
    from weight
    join framework on framework.node_id = weight.indicator_id
)

select * from final
