-- Published table weights: the weight scheme the release used, one row per node under the root: its weight
-- within its parent and its nominal effective weight in the composite (the product of weights up to the root;
-- the engine re-weights over present nodes per league and year, see indicator_values.effective_weight).
-- scheme is the variable weight_scheme when the caller sets it (the scheme file's stem or a named scheme).
with recursive

framework as (
    select node_id, parent_id, cast(level as integer) as level, node_type from framework
    where node_type <> 'Denominator'
),

weights as (select node_id, cast(weight as double) as weight from weights),

tree as (
    select
        framework.node_id, framework.parent_id, framework.level, framework.node_type,
        1.0::double as weight, 1.0::double as effective_weight
    from framework where framework.parent_id is null
    union all
    select
        child.node_id, child.parent_id, child.level, child.node_type,
        coalesce(weights.weight, 0.0), tree.effective_weight * coalesce(weights.weight, 0.0)
    from framework as child
    join tree on tree.node_id = child.parent_id
    left join weights on weights.node_id = child.node_id
),

final as (
    select
        getvariable('release_id') as release_id,
        cast(getvariable('weight_scheme') as varchar) as scheme,
        node_id,
        parent_id,
        level,
        node_type,
        weight,
        effective_weight
    from tree
    where parent_id is not null
)

select * from final
order by level desc, parent_id, node_id
