-- Step 12 audit, pairs: Pearson correlation of every pair of siblings (children of the same parent, indicators
-- or aggregates) on their node_scores, per period and pooled (period NULL), pairwise complete cases, each pair
-- once (node_id < other_node_id). As COINr's get_corr_flags(): flag_high when > audit_t_high (possible double
-- counting), flag_negative when < audit_t_negative (siblings pulling against each other).
with

node_scores as (
    select unit_code, period, node_id, score from node_scores where score is not null
),

tree as (
    select node_id, parent_id from framework where node_type <> 'Denominator' and parent_id is not null
),

siblings as (
    select node.parent_id, node.node_id, other.node_id as other_node_id
    from tree as node
    join tree as other on other.parent_id = node.parent_id and other.node_id > node.node_id
),

paired as (
    select siblings.*, node.period, node.score as x, other.score as y
    from siblings
    join node_scores as node on node.node_id = siblings.node_id
    join node_scores as other
        on other.node_id = siblings.other_node_id
            and other.unit_code = node.unit_code
            and other.period = node.period
),

scoped as (
    select *, period as scope_period from paired
    union all
    select *, null as scope_period from paired
),

correlated as (
    select
        parent_id,
        node_id,
        other_node_id,
        scope_period,
        count(*) as pairs,
        case when count(*) >= 3 and var_samp(x) > 0 and var_samp(y) > 0 then corr(x, y) end as pearson
    from scoped
    group by parent_id, node_id, other_node_id, scope_period
),

final as (
    select
        cast(parent_id as varchar) as parent_id,
        cast(node_id as varchar) as node_id,
        cast(other_node_id as varchar) as other_node_id,
        cast(scope_period as integer) as period,
        cast(pairs as integer) as pairs,
        cast(pearson as double) as pearson,
        coalesce(pearson > getvariable('audit_t_high'), false) as flag_high,
        coalesce(pearson < getvariable('audit_t_negative'), false) as flag_negative
    from correlated
)

select * from final order by parent_id, node_id, other_node_id, period nulls last
