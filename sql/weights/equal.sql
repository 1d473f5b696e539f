-- Equal weight scheme (等权): every node gets the same share within its parent (a sensitivity check against
-- the expert scheme). A plain VALUES list so the file is self-contained; shares are written as 1.0/n.
-- If a dimension gains or loses an indicator, change n for every row of that dimension.

with weights as (
    select * from (values
        -- dimensions within DEI: 6
        ('digital_infrastructure',     1.0/6),
        ('digital_industrialisation',  1.0/6),
        ('industrial_digitalisation',  1.0/6),
        ('digital_governance',         1.0/6),
        ('data_elements',              1.0/6),
        ('environment_innovation',     1.0/6),

        -- 数字基础设施: 7
        ('fiveg_user_penetration',     1.0/7),
        ('fiveg_population_coverage',  1.0/7),
        ('ipv6_mobile_traffic_share',  1.0/7),
        ('dc_rack_utilisation',        1.0/7),
        ('dc_pue',                     1.0/7),
        ('domestic_compute_share',     1.0/7),
        ('intelligent_compute_per_10k', 1.0/7),

        -- 数字产业化: 6
        ('core_industry_va_share_gdp', 1.0/6),
        ('digital_economy_share_gdp',  1.0/6),
        ('software_revenue_growth',    1.0/6),
        ('electronics_output_growth',  1.0/6),
        ('telecom_revenue_per_capita', 1.0/6),
        ('core_industry_firms_per_million', 1.0/6),

        -- 产业数字化: 7
        ('equipment_digitalisation_rate', 1.0/7),
        ('iiot_platform_penetration',  1.0/7),
        ('smart_industrial_park_rate', 1.0/7),
        ('online_retail_per_capita',   1.0/7),
        ('dfi_coverage_breadth',       1.0/7),
        ('dfi_usage_depth',            1.0/7),
        ('dfi_digitization_level',     1.0/7),

        -- 治理数字化: 6
        ('gov_service_full_online_rate', 1.0/6),
        ('gov_service_mobile_rate',    1.0/6),
        ('e_license_usage_rate',       1.0/6),
        ('one_network_case_closure_rate', 1.0/6),
        ('grassroots_online_service_rate', 1.0/6),
        ('gov_system_cloud_rate',      1.0/6),

        -- 数据要素: 5
        ('public_data_open_rate',      1.0/5),
        ('gov_data_sharing_fulfilment', 1.0/5),
        ('public_data_quality_rate',   1.0/5),
        ('data_trading_per_gdp',       1.0/5),
        ('data_firms_per_million',     1.0/5),

        -- 发展环境与创新: 5
        ('digital_hightech_firms_per_million', 1.0/5),
        ('rd_intensity',               1.0/5),
        ('tech_contract_share_gdp',    1.0/5),
        ('ict_employment_share',       1.0/5),
        ('digital_investment_share',   1.0/5)
    ) as w(node_id, weight)
),

final as (
    select cast(node_id as varchar) as node_id, cast(weight as double) as weight from weights
)

select * from final
