-- Default expert weight scheme (专家赋权) for 内蒙古数字经济发展指数.
-- One row per non-root, non-denominator node: its weight within its parent. Under every parent the weights
-- add up to exactly 1 (checked by index/framework.py and tests/framework/). Edit a number here, keep the sums.
-- The rows are a table laid out for reading (weights in one column), so sqlfluff's spacing rule is off here:
-- noqa: disable=LT01

with weights as (
    select * from (
        values
        -- ------------------------------------------------------------ dimensions within DEI (sum 1.00)
        -- 数字基础设施 0.20: one of the plan's "两大保障"（基础设施、发展要素）and the base of the
        --   全国绿色算力保障基地 (工作方案 二、三（五）); most targets of the plan sit here.
        ('digital_infrastructure',     0.20),
        -- 数字产业化 0.15: core industries are only 2.5% of GDP by 2025 (工作方案 二), concentrated in 呼包鄂乌.
        ('digital_industrialisation',  0.15),
        -- 产业数字化 0.20: the bulk of the 40%-of-GDP digital economy and the 北方产业数字化转型示范基地;
        --   the 主线 of the plan is 数字化转型 of the 优势特色产业 (工作方案 一（一）).
        ('industrial_digitalisation',  0.20),
        -- 治理数字化 0.15: a 条例 第七十六条 dimension; 一网通办/一网统管 are largely common platforms.
        ('digital_governance',         0.15),
        -- 数据要素 0.15: the plan calls data the "核心引擎" and 数据要素市场化 a 主线, but 盟市 data markets
        --   are young and the indicators thin, so it is not weighted above the mature dimensions yet.
        ('data_elements',              0.15),
        -- 发展环境与创新 0.15: "三大基础"（科技创新、产业生态、主体培育）and 发展要素 (工作方案 二、三（六）).
        ('environment_innovation',     0.15),

        -- ------------------------------------------------------------ 数字基础设施 (sum 1.00)
        -- Network take-up and the 算力 (computing) targets equally; IPv6 lower as a technical migration metric.
        ('fiveg_user_penetration',     0.15),
        ('fiveg_population_coverage',  0.15),
        ('ipv6_mobile_traffic_share',  0.10),
        ('dc_rack_utilisation',        0.15),
        ('dc_pue',                     0.15),
        ('domestic_compute_share',     0.15),
        ('intelligent_compute_per_10k', 0.15),

        -- ------------------------------------------------------------ 数字产业化 (sum 1.00)
        -- The headline 核心产业增加值占比 leads; growth rates are volatile on small 盟市 bases, so lower.
        ('core_industry_va_share_gdp', 0.25),
        ('digital_economy_share_gdp',  0.15),
        ('software_revenue_growth',    0.15),
        ('electronics_output_growth',  0.10),
        ('telecom_revenue_per_capita', 0.15),
        ('core_industry_firms_per_million', 0.20),

        -- ------------------------------------------------------------ 产业数字化 (sum 1.00)
        -- Industry carries the plan's two quantified targets (专栏2); 数字金融 (three PKU sub-indices) is
        -- capped at 0.30 together so one external source does not dominate the dimension.
        ('equipment_digitalisation_rate', 0.20),
        ('iiot_platform_penetration',  0.20),
        ('smart_industrial_park_rate', 0.10),
        ('online_retail_per_capita',   0.20),
        ('dfi_coverage_breadth',       0.10),
        ('dfi_usage_depth',            0.10),
        ('dfi_digitization_level',     0.10),

        -- ------------------------------------------------------------ 治理数字化 (sum 1.00)
        -- 全程网办 and 一网统管 are the outcome measures of 一网通办/一网统管; the rest are enablers.
        ('gov_service_full_online_rate', 0.20),
        ('gov_service_mobile_rate',    0.15),
        ('e_license_usage_rate',       0.15),
        ('one_network_case_closure_rate', 0.20),
        ('grassroots_online_service_rate', 0.15),
        ('gov_system_cloud_rate',      0.15),

        -- ------------------------------------------------------------ 数据要素 (sum 1.00)
        -- 共享 (sharing) is the most mature 盟市 data activity; 交易 and 数据商 measure the market itself.
        ('public_data_open_rate',      0.20),
        ('gov_data_sharing_fulfilment', 0.25),
        ('public_data_quality_rate',   0.15),
        ('data_trading_per_gdp',       0.20),
        ('data_firms_per_million',     0.20),

        -- ------------------------------------------------------------ 发展环境与创新 (sum 1.00)
        -- 高新技术企业 (主体培育, 工作方案 三（四）) and R&D (科技创新) lead; the rest support.
        ('digital_hightech_firms_per_million', 0.25),
        ('rd_intensity',               0.25),
        ('tech_contract_share_gdp',    0.15),
        ('ict_employment_share',       0.15),
        ('digital_investment_share',   0.20)
    ) as w(node_id, weight)
),

final as (
    select cast(node_id as varchar) as node_id, cast(weight as double) as weight from weights
)

select * from final
