-- 内蒙古数字经济发展指数 (Inner Mongolia digital-economy development index): the indicator framework as data.
--
-- Why it exists: 工作方案 四（二） asks for 编制内蒙古数字经济发展指数 (compiling the index) and 条例 第七十一条 asks
-- every government at 旗 level or above to evaluate its digital economy regularly; the unit of comparison is the
-- 盟市 (league / city). One row per node, columns exactly as in docs/architecture.md "The framework table".
--
-- How to edit: change a row in the VALUES list below (keep the column order), re-run the tests in
-- tests/framework/. Weights live in sql/weights/, not here.
--
-- Conventions used below:
--   * 盟市-level comparability: province-wide scale targets (规模目标, e.g. 网络零售额 700亿元) are 自治区 totals.
--     Such indicators enter per capita (常住人口) or per GDP (地区生产总值) via `denominator`, so size alone does
--     not decide the ranking; their target_2025 is NULL and target_note quotes the 自治区级目标.
--   * Shares (占比 / 普及率 / 覆盖率) are reported by departments directly in %, raw_unit = unit.
--   * valid_min / valid_max are plausibility bounds in raw_unit used by validation, not targets.
--   * source_clause cites 工作方案 = 内蒙古自治区推动数字经济高质量发展工作方案（2023—2025年）,
--     条例 = 内蒙古自治区数字经济促进条例 (2024); our copy of the 条例 lacks Art. 12–24.
--   * levels: the units that report the figure, 'league' (the 12 盟市 only) or 'league,county' (the 盟市 and
--     their 旗县市区, 条例 第七十一条). A figure compiled only at 盟市 level (数据中心, 算力, PKU-DFIIC, the digital-
--     economy accounts, the data exchanges, the 规上 industry surveys) is not expected from a 旗县; the 旗县 index is
--     built from the 'league,county' indicators. NULL for aggregates (they exist wherever a child does).
--   * additive: the raw figure of a 盟市 is the sum of its 旗县' figures (a count or an amount in raw_unit: 家,
--     亿元, 万人, PFlop/s); validation compares the two where both are reported. Shares and rates are not.
--   * The VALUES rows are a table laid out for reading and editing, so sqlfluff's layout rules are off here:
-- noqa: disable=LT01,LT02,LT05

with nodes as (
    select * from (values
        -- node_id, parent_id, level, node_type, name_zh, name_en, unit, raw_unit, polarity, denominator,
        -- denominator_scale, department, definition, target_2025, target_note, valid_min, valid_max, source_clause,
        -- levels, additive

        -- ---------------------------------------------------------------- root (指数, level 3)
        ('DEI', NULL, 3, 'Aggregate', '内蒙古数字经济发展指数', 'Inner Mongolia Digital Economy Development Index',
         '指数', '指数', NULL, NULL, NULL, NULL,
         '六个维度加权合成的盟市数字经济发展综合指数', NULL, NULL, NULL, NULL,
         '工作方案 四（二）；条例 第九条、第七十一条', NULL, NULL),

        -- ---------------------------------------------------------------- dimensions (维度, level 2)
        -- The four 条例 第七十六条 dimensions (数字基础设施, 数字产业化, 产业数字化, 治理数字化) plus
        -- 数据要素 (the plan's "核心引擎", 工作方案 三（三）4) and 发展环境与创新 (工作方案 三（二）、三（四）、三（六）).
        ('digital_infrastructure', 'DEI', 2, 'Aggregate', '数字基础设施', 'Digital infrastructure',
         '指数', '指数', NULL, NULL, NULL, NULL,
         '通信网络、算力和数据中心等数字基础设施的覆盖、能力与绿色水平', NULL, NULL, NULL, NULL,
         '条例 第七十六条（一）；工作方案 三（五）', NULL, NULL),
        ('digital_industrialisation', 'DEI', 2, 'Aggregate', '数字产业化', 'Digital industrialisation',
         '指数', '指数', NULL, NULL, NULL, NULL,
         '数字经济核心产业（数字产品制造、数字产品服务、数字技术应用）的规模与增长', NULL, NULL, NULL, NULL,
         '条例 第七十六条（四）；工作方案 三（三）1', NULL, NULL),
        ('industrial_digitalisation', 'DEI', 2, 'Aggregate', '产业数字化', 'Industrial digitalisation',
         '指数', '指数', NULL, NULL, NULL, NULL,
         '工业、服务业和金融等传统产业的数字化、网络化、智能化水平', NULL, NULL, NULL, NULL,
         '条例 第七十六条（五）；工作方案 三（三）2', NULL, NULL),
        ('digital_governance', 'DEI', 2, 'Aggregate', '治理数字化', 'Digital governance',
         '指数', '指数', NULL, NULL, NULL, NULL,
         '数字政府、政务服务和社会治理的数字化水平', NULL, NULL, NULL, NULL,
         '条例 第七十六条（六）；工作方案 三（三）3', NULL, NULL),
        ('data_elements', 'DEI', 2, 'Aggregate', '数据要素', 'Data as a factor of production',
         '指数', '指数', NULL, NULL, NULL, NULL,
         '公共数据开放共享、数据质量和数据交易市场的发育程度', NULL, NULL, NULL, NULL,
         '工作方案 三（三）4；条例 第二十六条', NULL, NULL),
        ('environment_innovation', 'DEI', 2, 'Aggregate', '发展环境与创新', 'Development environment and innovation',
         '指数', '指数', NULL, NULL, NULL, NULL,
         '数字经济领域的创新投入、市场主体、人才和投资环境', NULL, NULL, NULL, NULL,
         '工作方案 三（二）、三（四）、三（六）', NULL, NULL),

        -- ---------------------------------------------------------------- 数字基础设施 (digital infrastructure)
        -- 5G用户普及率 sits in 专栏1 发展电信业, but measures network take-up, so it belongs to infrastructure.
        -- users per resident can pass 100 % (several SIMs per person, visitors and commuters counted where they
        -- register): the plausibility bound is 200 %, not 100 %, so a real figure above 100 is not quarantined
        ('fiveg_user_penetration', 'digital_infrastructure', 1, 'Indicator', '5G用户普及率', '5G user penetration rate',
         '%', '%', 1, NULL, NULL, '内蒙古通信管理局',
         '5G移动电话用户数占常住人口的比例', 60, '达60%', 0, 200,
         '工作方案 三（三）1 专栏1（发展电信业）', 'league,county', FALSE),
        ('fiveg_population_coverage', 'digital_infrastructure', 1, 'Indicator', '5G人口覆盖率', '5G population coverage rate',
         '%', '%', 1, NULL, NULL, '内蒙古通信管理局',
         '5G网络信号覆盖的常住人口占常住人口的比例', 50, '达50%', 0, 100,
         '工作方案 三（五）1', 'league,county', FALSE),
        ('ipv6_mobile_traffic_share', 'digital_infrastructure', 1, 'Indicator', '移动网络IPv6流量占比', 'IPv6 share of mobile network traffic',
         '%', '%', 1, NULL, NULL, '内蒙古通信管理局',
         '移动网络中IPv6流量占移动网络总流量的比例', 50, '达50%', 0, 100,
         '工作方案 三（五）1', 'league', FALSE),
        ('dc_rack_utilisation', 'digital_infrastructure', 1, 'Indicator', '集群数据中心上架率', 'Data-centre cluster rack utilisation rate',
         '%', '%', 1, NULL, NULL, '自治区工业和信息化厅',
         '已上架（投产）机架数占已建成机架总数的比例', 65, '达65%以上', 0, 100,
         '工作方案 三（三）1 专栏1（发展数据存储产业）', 'league', FALSE),
        -- PUE (电能使用效率): total facility energy / IT energy, so lower is better (polarity -1); physical floor 1.0.
        ('dc_pue', 'digital_infrastructure', 1, 'Indicator', '数据中心PUE', 'Data-centre power usage effectiveness (PUE)',
         '比值', '比值', -1, NULL, NULL, '自治区工业和信息化厅',
         '大型数据中心总耗电量与IT设备耗电量之比的平均值', 1.2, '不高于1.2（工作方案：降至1.2以下）', 1.0, 3.0,
         '工作方案 三（五）2', 'league', FALSE),
        ('domestic_compute_share', 'digital_infrastructure', 1, 'Indicator', '国产化算力占比', 'Share of domestically produced computing power',
         '%', '%', 1, NULL, NULL, '自治区政务服务与数据管理局',
         '基于国产芯片和服务器的算力占算力总规模的比例', 50, '达50%以上', 0, 100,
         '工作方案 三（五）2', 'league', FALSE),
        -- 智能算力 8000PFlop/s is a 自治区 total: enter per 万人 so that the hub leagues are compared on intensity.
        ('intelligent_compute_per_10k', 'digital_infrastructure', 1, 'Indicator', '智能算力', 'Intelligent computing power per 10,000 residents',
         'PFlop/s/万人', 'PFlop/s', 1, 'population', 1, '自治区政务服务与数据管理局',
         '已投产智能算力规模（FP16，PFlop/s），按常住人口折算为每万人', NULL, '自治区级目标：智能算力突破8000PFlop/s；盟市按每万人计，不设目标', 0, 100000,
         '工作方案 三（五）2', 'league', TRUE),

        -- ---------------------------------------------------------------- 数字产业化 (digital industrialisation)
        ('core_industry_va_share_gdp', 'digital_industrialisation', 1, 'Indicator', '数字经济核心产业增加值占GDP比重', 'Digital-economy core industries value added, % of GDP',
         '%', '%', 1, NULL, NULL, '自治区统计局',
         '数字经济核心产业（统计分类01–04大类）增加值占地区生产总值的比重', 2.5, '达2.5%', 0, 100,
         '工作方案 二、工作目标', 'league', FALSE),
        -- The 40% share covers 数字产业化 + 产业数字化; it is kept here next to the core share it contains.
        ('digital_economy_share_gdp', 'digital_industrialisation', 1, 'Indicator', '数字经济规模占GDP比重', 'Digital economy size, % of GDP',
         '%', '%', 1, NULL, NULL, '自治区统计局',
         '数字经济规模（数字产业化与产业数字化增加值之和）占地区生产总值的比重', 40, '达40%', 0, 100,
         '工作方案 二、工作目标', 'league', FALSE),
        -- Departments report the growth rate directly (they hold the firm-level base); small bases swing widely.
        ('software_revenue_growth', 'digital_industrialisation', 1, 'Indicator', '软件和信息技术服务业营业收入增速', 'Software and IT services revenue growth',
         '%', '%', 1, NULL, NULL, '自治区工业和信息化厅',
         '软件和信息技术服务业营业收入比上年增长的百分比', 20, '年均增长20%', -100, 1000,
         '工作方案 三（三）1', 'league', FALSE),
        ('electronics_output_growth', 'digital_industrialisation', 1, 'Indicator', '电子信息制造业产值增速', 'Electronic information manufacturing output growth',
         '%', '%', 1, NULL, NULL, '自治区工业和信息化厅',
         '规模以上电子信息制造业总产值比上年增长的百分比', 50, '年均增长50%', -100, 1000,
         '工作方案 三（三）1', 'league', FALSE),
        -- 信息通信业收入 248亿元 is a 自治区 total: 亿元 / 万人 × 10000 = 元/人.
        ('telecom_revenue_per_capita', 'digital_industrialisation', 1, 'Indicator', '信息通信业收入', 'Information and communications revenue per capita',
         '元/人', '亿元', 1, 'population', 10000, '内蒙古通信管理局',
         '信息通信业（电信业务）收入，按常住人口折算为人均', NULL, '自治区级目标：信息通信业收入达248亿元；盟市按人均计，不设目标', 0, 1000,
         '工作方案 三（三）1 专栏1（发展电信业）', 'league,county', TRUE),
        -- 规上企业 150家 is a 自治区 total: 家 / 万人 × 100 = 家/百万人.
        ('core_industry_firms_per_million', 'digital_industrialisation', 1, 'Indicator', '数字经济核心产业规上企业数', 'Above-scale digital-economy core industry firms per million residents',
         '家/百万人', '家', 1, 'population', 100, '自治区统计局',
         '数字经济核心产业规模以上企业数，按常住人口折算为每百万人', NULL, '自治区级目标：规上企业数达150家以上；盟市按每百万人计，不设目标', 0, 5000,
         '工作方案 三（三）1', 'league,county', TRUE),

        -- ---------------------------------------------------------------- 产业数字化 (industrial digitalisation)
        ('equipment_digitalisation_rate', 'industrial_digitalisation', 1, 'Indicator', '规上工业企业生产设备数字化率', 'Digitalisation rate of production equipment in above-scale industrial firms',
         '%', '%', 1, NULL, NULL, '自治区工业和信息化厅',
         '规模以上工业企业数字化生产设备数占生产设备总数的比例', 60, '达60%', 0, 100,
         '工作方案 三（三）2 专栏2（加快工业数字化转型）', 'league', FALSE),
        ('iiot_platform_penetration', 'industrial_digitalisation', 1, 'Indicator', '工业互联网平台普及率', 'Industrial internet platform penetration rate',
         '%', '%', 1, NULL, NULL, '自治区工业和信息化厅',
         '应用工业互联网平台的规模以上工业企业占规模以上工业企业总数的比例', 35, '达35%', 0, 100,
         '工作方案 三（三）2 专栏2（加快工业数字化转型）', 'league', FALSE),
        -- "工业园区全部建成智慧园区" applies to every 盟市's parks, hence target 100%.
        ('smart_industrial_park_rate', 'industrial_digitalisation', 1, 'Indicator', '智慧园区建成率', 'Share of industrial parks built as smart parks',
         '%', '%', 1, NULL, NULL, '自治区工业和信息化厅',
         '建成智慧园区的自治区级及以上工业园区占工业园区总数的比例', 100, '工业园区全部建成智慧园区', 0, 100,
         '工作方案 三（三）2 专栏2（加快工业数字化转型）', 'league,county', FALSE),
        -- 网络零售额 700亿元 is a 自治区 total: 亿元 / 万人 × 10000 = 元/人.
        ('online_retail_per_capita', 'industrial_digitalisation', 1, 'Indicator', '电子商务网络零售额', 'Online retail sales per capita',
         '元/人', '亿元', 1, 'population', 10000, '自治区商务厅',
         '通过公共网络交易平台实现的商品和服务零售额，按常住人口折算为人均', NULL, '自治区级目标：电子商务网络零售额达700亿元；盟市按人均计，不设目标', 0, 5000,
         '工作方案 三（三）2 专栏2（推动服务业转型升级）', 'league,county', TRUE),
        -- 数字金融 (digital finance): the real PKU 北京大学数字普惠金融指数 sub-indices per 盟市, 2011–2023.
        ('dfi_coverage_breadth', 'industrial_digitalisation', 1, 'Indicator', '数字普惠金融覆盖广度', 'Digital financial inclusion: coverage breadth',
         '指数', '指数', 1, NULL, NULL, '北京大学数字金融研究中心',
         '北京大学数字普惠金融指数分项：电子账户覆盖程度', NULL, NULL, 0, 1000,
         '条例 第四十六条', 'league', FALSE),
        ('dfi_usage_depth', 'industrial_digitalisation', 1, 'Indicator', '数字普惠金融使用深度', 'Digital financial inclusion: usage depth',
         '指数', '指数', 1, NULL, NULL, '北京大学数字金融研究中心',
         '北京大学数字普惠金融指数分项：支付、信贷、保险、投资等数字金融服务的实际使用程度', NULL, NULL, 0, 1000,
         '条例 第四十六条', 'league', FALSE),
        ('dfi_digitization_level', 'industrial_digitalisation', 1, 'Indicator', '数字普惠金融数字化程度', 'Digital financial inclusion: digitization level',
         '指数', '指数', 1, NULL, NULL, '北京大学数字金融研究中心',
         '北京大学数字普惠金融指数分项：移动化、实惠化、信用化、便利化程度', NULL, NULL, 0, 1000,
         '条例 第四十六条', 'league', FALSE),

        -- ---------------------------------------------------------------- 治理数字化 (digital governance)
        -- 一网通办 (one-stop online government services) and 一网统管 (unified city operations) are the plan's levers.
        ('gov_service_full_online_rate', 'digital_governance', 1, 'Indicator', '政务服务事项全程网办率', 'Share of government services handled fully online',
         '%', '%', 1, NULL, NULL, '自治区政务服务与数据管理局',
         '可全流程网上办理的依申请政务服务事项占依申请政务服务事项总数的比例', NULL, NULL, 0, 100,
         '条例 第五十二条', 'league,county', FALSE),
        ('gov_service_mobile_rate', 'digital_governance', 1, 'Indicator', '政务服务事项掌上可办率', 'Share of government services available on mobile',
         '%', '%', 1, NULL, NULL, '自治区政务服务与数据管理局',
         '可通过移动端（蒙速办等）办理的政务服务事项占政务服务事项总数的比例', NULL, NULL, 0, 100,
         '条例 第五十二条', 'league,county', FALSE),
        ('e_license_usage_rate', 'digital_governance', 1, 'Indicator', '电子证照共享应用率', 'Electronic licence sharing and use rate',
         '%', '%', 1, NULL, NULL, '自治区政务服务与数据管理局',
         '在政务服务中以电子证照替代纸质材料的办件量占需提交证照办件总量的比例', NULL, NULL, 0, 100,
         '条例 第五十二条第二款', 'league,county', FALSE),
        ('one_network_case_closure_rate', 'digital_governance', 1, 'Indicator', '一网统管事件按期办结率', 'On-time closure rate of unified city-management cases',
         '%', '%', 1, NULL, NULL, '自治区政务服务与数据管理局',
         '“一网统管”数字化治理平台受理事件中按期办结的比例', NULL, NULL, 0, 100,
         '工作方案 三（三）3 专栏3（提升社会数字化治理水平）', 'league,county', FALSE),
        ('grassroots_online_service_rate', 'digital_governance', 1, 'Indicator', '嘎查村（社区）政务服务网上可办率', 'Share of village/community services available online',
         '%', '%', 1, NULL, NULL, '自治区政务服务与数据管理局',
         '嘎查村（社区）层级政务服务事项中依托一体化政务服务平台网上可办的比例', NULL, NULL, 0, 100,
         '工作方案 三（三）3 专栏3（推进数字乡村建设）', 'league,county', FALSE),
        ('gov_system_cloud_rate', 'digital_governance', 1, 'Indicator', '政务信息系统上云率', 'Share of government information systems on the government cloud',
         '%', '%', 1, NULL, NULL, '自治区政务服务与数据管理局',
         '迁移部署到政务云的政务信息系统占政务信息系统总数的比例', NULL, NULL, 0, 100,
         '条例 第五十一条', 'league,county', FALSE),

        -- ---------------------------------------------------------------- 数据要素 (data as a factor)
        -- The 条例's data chapter (第三章) is partly missing in our copy (Art. 12–24); 工作方案 专栏4 carries the detail.
        ('public_data_open_rate', 'data_elements', 1, 'Indicator', '公共数据开放率', 'Public data openness rate',
         '%', '%', 1, NULL, NULL, '自治区政务服务与数据管理局',
         '已向社会开放的公共数据资源目录数占公共数据资源目录总数的比例', NULL, NULL, 0, 100,
         '工作方案 三（三）4 专栏4（推动公共数据开放共享）', 'league', FALSE),
        ('gov_data_sharing_fulfilment', 'data_elements', 1, 'Indicator', '政务数据共享需求满足率', 'Fulfilment rate of government data-sharing requests',
         '%', '%', 1, NULL, NULL, '自治区政务服务与数据管理局',
         '已满足的跨部门政务数据共享申请占共享申请总数的比例', NULL, NULL, 0, 100,
         '工作方案 三（三）3 专栏3（推进政务服务数字化转型）', 'league', FALSE),
        ('public_data_quality_rate', 'data_elements', 1, 'Indicator', '公共数据质量合格率', 'Public data quality pass rate',
         '%', '%', 1, NULL, NULL, '自治区政务服务与数据管理局',
         '通过质量核验的公共数据资源目录数占已编目公共数据资源目录数的比例', NULL, NULL, 0, 100,
         '条例 第二十七条', 'league', FALSE),
        -- 万元 / 亿元 = 元 per 万元 of GDP, so the scale is 1.
        ('data_trading_per_gdp', 'data_elements', 1, 'Indicator', '数据交易额', 'Data trading turnover per GDP',
         '元/万元GDP', '万元', 1, 'gdp', 1, '自治区政务服务与数据管理局',
         '本地主体经数据交易场所完成的数据产品和服务交易额，按地区生产总值折算为每万元GDP', NULL, '自治区级目标：金融、医疗、能源等3个以上场景领域实现数据交易；无金额目标', 0, 10000000,
         '工作方案 三（三）4 专栏4（培育数据交易市场）', 'league', TRUE),
        -- 数据商 50家 is a 自治区 total: 家 / 万人 × 100 = 家/百万人.
        ('data_firms_per_million', 'data_elements', 1, 'Indicator', '数据商及数据服务企业数', 'Data vendors and data-service firms per million residents',
         '家/百万人', '家', 1, 'population', 100, '自治区政务服务与数据管理局',
         '数据提供商、数据运营商、中介服务商、数据加工处理等数据服务企业数，按常住人口折算为每百万人', NULL, '自治区级目标：引进集聚50家以上数据上下游企业；盟市按每百万人计，不设目标', 0, 5000,
         '工作方案 三（三）4', 'league,county', TRUE),

        -- ---------------------------------------------------------------- 发展环境与创新 (environment and innovation)
        -- 高新技术企业 300家 is a 自治区 total: 家 / 万人 × 100 = 家/百万人.
        ('digital_hightech_firms_per_million', 'environment_innovation', 1, 'Indicator', '数字经济领域高新技术企业数', 'Digital-economy high-tech enterprises per million residents',
         '家/百万人', '家', 1, 'population', 100, '自治区科学技术厅',
         '数字经济领域有效期内国家高新技术企业数，按常住人口折算为每百万人', NULL, '自治区级目标：数字经济领域高新技术企业达300家以上；盟市按每百万人计，不设目标', 0, 5000,
         '工作方案 三（四）3', 'league,county', TRUE),
        ('rd_intensity', 'environment_innovation', 1, 'Indicator', 'R&D经费投入强度', 'R&D expenditure intensity',
         '%', '%', 1, NULL, NULL, '自治区统计局',
         '全社会研究与试验发展（R&D）经费支出占地区生产总值的比重', NULL, NULL, 0, 100,
         '工作方案 三（二）', 'league,county', FALSE),
        -- 技术合同成交额 亿元 / GDP 亿元 × 100 = % of GDP.
        ('tech_contract_share_gdp', 'environment_innovation', 1, 'Indicator', '技术合同成交额', 'Technology contract turnover, % of GDP',
         '%', '亿元', 1, 'gdp', 100, '自治区科学技术厅',
         '登记的技术合同成交额，按地区生产总值折算为占GDP比重', NULL, NULL, 0, 2000,
         '工作方案 三（二）3', 'league', TRUE),
        ('ict_employment_share', 'environment_innovation', 1, 'Indicator', '信息传输、软件和信息技术服务业从业人员占比', 'ICT services share of non-private urban employment',
         '%', '%', 1, NULL, NULL, '自治区统计局',
         '信息传输、软件和信息技术服务业城镇非私营单位从业人员占城镇非私营单位从业人员的比例', NULL, NULL, 0, 100,
         '工作方案 三（六）4', 'league,county', FALSE),
        ('digital_investment_share', 'environment_innovation', 1, 'Indicator', '数字经济领域固定资产投资占比', 'Digital-economy share of fixed-asset investment',
         '%', '%', 1, NULL, NULL, '自治区发展和改革委员会',
         '数字经济领域（核心产业及数字基础设施）固定资产投资占全社会固定资产投资的比例', NULL, NULL, 0, 100,
         '工作方案 三（六）2', 'league,county', FALSE),

        -- ---------------------------------------------------------------- denominators (分母, level 1, no parent)
        -- Lower bound 1, not 0: a zero denominator would divide by zero.
        ('population', NULL, 1, 'Denominator', '常住人口', 'Resident population',
         '万人', '万人', NULL, NULL, NULL, '自治区统计局',
         '年末常住人口', NULL, NULL, 1, 1000,
         '条例 第九条', 'league,county', TRUE),
        ('gdp', NULL, 1, 'Denominator', '地区生产总值', 'Gross regional product',
         '亿元', '亿元', NULL, NULL, NULL, '自治区统计局',
         '按当年价格计算的地区生产总值', NULL, NULL, 1, 20000,
         '条例 第九条', 'league,county', TRUE)
    ) as nodes(node_id, parent_id, level, node_type, name_zh, name_en, unit, raw_unit, polarity, denominator,
               denominator_scale, department, definition, target_2025, target_note, valid_min, valid_max, source_clause,
               levels, additive)
),

final as (
    -- Explicit casts pin the contract types; VALUES alone would infer DECIMAL and INTEGER from the literals.
    select
        cast(node_id as varchar)            as node_id,
        cast(parent_id as varchar)          as parent_id,
        cast(level as integer)              as level,
        cast(node_type as varchar)          as node_type,
        cast(name_zh as varchar)            as name_zh,
        cast(name_en as varchar)            as name_en,
        cast(unit as varchar)               as unit,
        cast(raw_unit as varchar)           as raw_unit,
        cast(polarity as integer)           as polarity,
        cast(denominator as varchar)        as denominator,
        cast(denominator_scale as double)   as denominator_scale,
        cast(department as varchar)         as department,
        cast(definition as varchar)         as definition,
        cast(target_2025 as double)         as target_2025,
        cast(target_note as varchar)        as target_note,
        cast(valid_min as double)           as valid_min,
        cast(valid_max as double)           as valid_max,
        cast(source_clause as varchar)      as source_clause,
        cast(levels as varchar)             as levels,
        cast(additive as boolean)           as additive
    from nodes
)

select * from final
