-- Step 12 audit, aggregates: Cronbach's alpha of every aggregate over its children, per period and pooled
-- (period NULL), from the pairwise-complete covariances of audit_child_matrices (12_audit_child_matrices.sql):
--     alpha = k / (k - 1) × (1 - sum of the variances / sum of all covariances)
-- k counts the children with a variance. NULL below 2 such children or when the children's sum does not vary.
-- Variable audit_t_alpha: alpha below it is flagged. complete_cases: unit-periods with every child scored.
with

audit_child_matrices as (
    select * from audit_child_matrices
),

framework as (
    select node_id, parent_id from framework where node_type <> 'Denominator'
),

aggregates as (
    select parent_id as aggregate_id, count(*) as children
    from framework
    where parent_id is not null
    group by parent_id
),

scopes as (
    select distinct aggregate_id, period from audit_child_matrices
),

-- children whose variance is known in the scope
scored_children as (
    select aggregate_id, period, child_a as child_id
    from audit_child_matrices
    where child_a = child_b and covariance is not null
),

sums as (
    select
        matrices.aggregate_id,
        matrices.period,
        count(*) filter (where matrices.child_a = matrices.child_b) as scored_children,
        sum(matrices.covariance) filter (where matrices.child_a = matrices.child_b) as variance_sum,
        sum(matrices.covariance) as covariance_sum,
        max(matrices.complete_cases) as complete_cases
    from audit_child_matrices as matrices
    semi join scored_children as a
        on a.aggregate_id = matrices.aggregate_id
            and a.period is not distinct from matrices.period
            and a.child_id = matrices.child_a
    semi join scored_children as b
        on b.aggregate_id = matrices.aggregate_id
            and b.period is not distinct from matrices.period
            and b.child_id = matrices.child_b
    where matrices.covariance is not null
    group by matrices.aggregate_id, matrices.period
),

alphas as (
    select
        scopes.aggregate_id,
        scopes.period,
        aggregates.children,
        coalesce(sums.scored_children, 0) as scored_children,
        sums.complete_cases,
        case
            when sums.scored_children >= 2 and sums.covariance_sum > 0
                then sums.scored_children / (sums.scored_children - 1.0)
                    * (1 - sums.variance_sum / sums.covariance_sum)
        end as cronbach_alpha
    from scopes
    join aggregates on aggregates.aggregate_id = scopes.aggregate_id
    left join sums
        on sums.aggregate_id = scopes.aggregate_id
            and sums.period is not distinct from scopes.period
),

final as (
    select
        cast(aggregate_id as varchar) as node_id,
        cast(period as integer) as period,
        cast(children as integer) as children,
        cast(scored_children as integer) as scored_children,
        cast(coalesce(complete_cases, 0) as integer) as complete_cases,
        cast(cronbach_alpha as double) as cronbach_alpha,
        coalesce(cronbach_alpha < getvariable('audit_t_alpha'), false) as flag_alpha
    from alphas
)

select * from final order by node_id, period nulls last
