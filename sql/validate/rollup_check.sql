-- Roll-up check (index/rollup.py): for every additive figure (framework `additive`, reported by 旗县: `levels`
-- holds county), each 盟市 and year, the sum of its 旗县' figures against the 盟市's own submitted figure.
-- Development zones (unit level zone) are not 旗县 but their figures belong to the 盟市 too: a zone row, when a
-- submission has one, is added to the sum; where a zone did not report, the sum may fall short of the 盟市
-- figure by the zone's part, which nobody reported: only an excess is checked.
-- verdict: agrees | differs | zones_unreported (the sum is below the figure and a zone did not report: not
-- checkable) | incomplete (some 旗县 did not report: no sum to compare) | no_league_figure.
-- rollup_settings.tolerance: the largest relative difference that still agrees, |sum - figure| / |figure|.
with

observations as (
    select unit_code, year, indicator_id, value from observations
),

units as (
    select unit_code, unit_level, parent_code from units
),

framework as (
    select node_id, levels, additive from framework
),

rollup_settings as (
    select tolerance from rollup_settings
),

additive_figures as (
    select node_id as indicator_id
    from framework
    where additive and list_contains(string_split(levels, ','), 'county')
),

league_units as (
    select unit_code as league_code from units where unit_level = 'league'
),

parts as (
    select unit_code, unit_level, parent_code as league_code from units where unit_level in ('county', 'zone')
),

expected as (
    select
        league_code,
        count(*) filter (where unit_level = 'county') as counties_expected,
        count(*) filter (where unit_level = 'zone') as zones
    from parts
    group by league_code
),

part_sums as (
    select
        parts.league_code,
        observations.year,
        observations.indicator_id,
        sum(observations.value) as parts_sum,
        count(observations.value) filter (where parts.unit_level = 'county') as counties_reported,
        count(observations.value) filter (where parts.unit_level = 'zone') as zones_reported
    from observations
    join parts on parts.unit_code = observations.unit_code
    join additive_figures on additive_figures.indicator_id = observations.indicator_id
    group by parts.league_code, observations.year, observations.indicator_id
),

league_figures as (
    select
        observations.unit_code as league_code,
        observations.year,
        observations.indicator_id,
        observations.value as league_value
    from observations
    join league_units on league_units.league_code = observations.unit_code
),

compared as (
    select
        part_sums.*,
        expected.counties_expected,
        expected.zones,
        league_figures.league_value,
        part_sums.parts_sum - league_figures.league_value as difference,
        (part_sums.parts_sum - league_figures.league_value) / nullif(abs(league_figures.league_value), 0)
            as relative_difference
    from part_sums
    join expected on expected.league_code = part_sums.league_code
    left join league_figures
        on league_figures.league_code = part_sums.league_code
            and league_figures.year = part_sums.year
            and league_figures.indicator_id = part_sums.indicator_id
),

final as (
    select
        league_code,
        year,
        indicator_id,
        league_value,
        parts_sum,
        counties_reported,
        counties_expected,
        zones_reported,
        zones,
        difference,
        relative_difference,
        case
            when counties_reported < counties_expected then 'incomplete'
            when league_value is null then 'no_league_figure'
            when abs(difference) <= rollup_settings.tolerance * abs(league_value) then 'agrees'
            -- a zone that did not report: a shortfall may be its part
            when zones > zones_reported and difference < 0 then 'zones_unreported'
            else 'differs'
        end as verdict
    from compared
    cross join rollup_settings
)

select * from final
order by league_code, year, indicator_id
