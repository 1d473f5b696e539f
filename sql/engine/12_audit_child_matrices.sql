-- Step 12 audit, child matrices: for every aggregate, per period and pooled (period NULL), one row per ordered
-- pair of its children (a child with itself included), on their node_scores:
--   covariance   sample covariance over the unit-periods where both children have a score (pairwise complete,
--                as COINr's get_cronbach() default use = "pairwise.complete.obs"); the diagonal is the variance
--   correlation  Pearson correlation over the COMPLETE cases (unit-periods where every child of the aggregate
--                has a score), the matrix PCA needs; NULL when a child is constant there
-- 12_audit_aggregates.sql builds Cronbach's alpha from it; index/engine/audit.py takes its eigenvalues.
with

node_scores as (
    select unit_code, period, node_id, score from node_scores where score is not null
),

children as (
    select node_id as child_id, parent_id as aggregate_id
    from framework
    where node_type <> 'Denominator' and parent_id is not null
),

child_counts as (
    select aggregate_id, count(*) as children from children group by aggregate_id
),

child_scores as (
    select children.aggregate_id, children.child_id, node_scores.unit_code, node_scores.period, node_scores.score
    from children
    join node_scores on node_scores.node_id = children.child_id
),

complete_cases as (
    select child_scores.aggregate_id, child_scores.unit_code, child_scores.period
    from child_scores
    join child_counts on child_counts.aggregate_id = child_scores.aggregate_id
    group by child_scores.aggregate_id, child_scores.unit_code, child_scores.period, child_counts.children
    having count(*) = child_counts.children
),

paired as (
    select
        a.aggregate_id,
        a.child_id as child_a,
        b.child_id as child_b,
        a.period,
        a.score as x,
        b.score as y,
        complete_cases.aggregate_id is not null as complete
    from child_scores as a
    join child_scores as b
        on b.aggregate_id = a.aggregate_id
            and b.unit_code = a.unit_code
            and b.period = a.period
    left join complete_cases
        on complete_cases.aggregate_id = a.aggregate_id
            and complete_cases.unit_code = a.unit_code
            and complete_cases.period = a.period
),

scoped as (
    select *, period as scope_period from paired
    union all
    select *, null as scope_period from paired
),

matrices as (
    select
        aggregate_id,
        child_a,
        child_b,
        scope_period,
        count(*) as pairs,
        covar_samp(x, y) as covariance,
        count(*) filter (where complete) as complete_cases,
        case
            when var_samp(x) filter (where complete) > 0 and var_samp(y) filter (where complete) > 0
                then corr(x, y) filter (where complete)
        end as correlation
    from scoped
    group by aggregate_id, child_a, child_b, scope_period
),

final as (
    select
        cast(aggregate_id as varchar) as aggregate_id,
        cast(child_a as varchar) as child_a,
        cast(child_b as varchar) as child_b,
        cast(scope_period as integer) as period,
        cast(pairs as integer) as pairs,
        cast(covariance as double) as covariance,
        cast(complete_cases as integer) as complete_cases,
        cast(correlation as double) as correlation
    from matrices
)

select * from final
