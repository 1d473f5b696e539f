-- Step 07 weight, scheme equal (等权, table weights, replacing the registered weights): every node gets the
-- same share of its parent, 1 / (number of children), read from the framework so it never goes stale when a
-- dimension gains or loses an indicator. The one definition of `[weights] scheme = "equal"` and of
-- `dei compute --weights equal`.
with

framework as (select * from framework),

tree as (
    select node_id, parent_id from framework
    where node_type <> 'Denominator' and parent_id is not null
),

final as (
    select
        node_id,
        cast(1.0 / count(*) over (partition by parent_id) as double) as weight
    from tree
)

select * from final
