-- Step 08 aggregate, attribution under amean at every level (view aggregate_contribution): every indicator cell
-- of table `weight` as it is. Under amean every adjustment of 08_aggregate_contributions.sql is 0, so the
-- contribution is normalised × effective weight, which 07_weight.sql already computed.
with

weight as (
    select * from weight
),

final as (
    select * from weight
)

select * from final
