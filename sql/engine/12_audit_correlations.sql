-- Step 12 audit, correlations: Pearson and Spearman correlation of every node below the root (indicators and
-- aggregates) with its parent (relation 'parent') and with the root (relation 'index'), on the scores of
-- node_scores (an indicator's score is its normalised value, polarity applied). Per period and pooled over
-- all unit-periods (period NULL; pooled mixes differences between units and over time). Pairwise complete
-- cases only. Spearman = Pearson on ranks, ties given their average rank. NULL when either side is constant
-- or fewer than 3 pairs. Variable audit_t_weak: a correlation below it is flagged weak.
with

node_scores as (
    select unit_code, period, node_id, score from node_scores where score is not null
),

tree as (
    select node_id, parent_id, node_type from framework where node_type <> 'Denominator'
),

root as (
    select node_id from tree where parent_id is null
),

relations as (
    select node_id, node_type, parent_id as other_node_id, 'parent' as relation
    from tree
    where parent_id is not null

    union all

    select tree.node_id, tree.node_type, root.node_id as other_node_id, 'index' as relation
    from tree
    cross join root
    where tree.parent_id is not null
),

paired as (
    select
        relations.node_id,
        relations.node_type,
        relations.other_node_id,
        relations.relation,
        node.period,
        node.score as x,
        other.score as y
    from relations
    join node_scores as node on node.node_id = relations.node_id
    join node_scores as other
        on other.node_id = relations.other_node_id
            and other.unit_code = node.unit_code
            and other.period = node.period
),

scoped as (
    select *, period as scope_period from paired
    union all
    select *, null as scope_period from paired
),

-- average ranks: the first rank of a tie plus half the tie's extra length
ranked as (
    select
        scoped.*,
        rank() over (partition by node_id, relation, scope_period order by x)
        + (count(*) over (partition by node_id, relation, scope_period, x) - 1) / 2.0 as x_rank,
        rank() over (partition by node_id, relation, scope_period order by y)
        + (count(*) over (partition by node_id, relation, scope_period, y) - 1) / 2.0 as y_rank
    from scoped
),

correlated as (
    select
        node_id,
        node_type,
        other_node_id,
        relation,
        scope_period,
        count(*) as pairs,
        case when count(*) >= 3 and var_samp(x) > 0 and var_samp(y) > 0 then corr(x, y) end as pearson,
        case when count(*) >= 3 and var_samp(x_rank) > 0 and var_samp(y_rank) > 0 then corr(x_rank, y_rank) end
            as spearman
    from ranked
    group by node_id, node_type, other_node_id, relation, scope_period
),

final as (
    select
        cast(node_id as varchar) as node_id,
        cast(node_type as varchar) as node_type,
        cast(other_node_id as varchar) as other_node_id,
        cast(relation as varchar) as relation,
        cast(scope_period as integer) as period,
        cast(pairs as integer) as pairs,
        cast(pearson as double) as pearson,
        cast(spearman as double) as spearman,
        coalesce(pearson < getvariable('audit_t_weak'), false) as flag_weak_pearson,
        coalesce(spearman < getvariable('audit_t_weak'), false) as flag_weak_spearman
    from correlated
)

select * from final order by relation desc, node_id, period nulls last
