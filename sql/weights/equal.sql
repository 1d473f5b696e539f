-- Equal weight scheme (等权): every node gets the same share of its parent, 1 / (number of children), read
-- from the framework so it never goes stale when a dimension gains or loses an indicator. The file form of
-- the engine's named scheme `equal` (`[weights] scheme = "equal"`, or `dei compute --weights equal`); a test
-- checks the two agree. A sensitivity check against the expert scheme.
with

framework as (select * from framework),

tree as (
    select node_id, parent_id from framework
    where node_type <> 'Denominator' and parent_id is not null
),

final as (
    select
        cast(node_id as varchar) as node_id,
        cast(1.0 / count(*) over (partition by parent_id) as double) as weight
    from tree
)

select * from final
order by node_id
