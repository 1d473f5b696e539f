"""The analyses a Chinese regional index report carries beside the scores (issue 14), on any built index:

disparity.py    regional disparity and its sources: Gini with Dagum's decomposition by groups (within,
                between, transvariation), Theil T with its within / between split, the coefficient of variation
obstacles.py    the obstacle degree model (障碍度模型): which indicators and dimensions hold each unit back most
coupling.py     coupling degree C, coordination index T and coupling coordination degree D (耦合协调度) of
                subsystems, with the customary ten classes
convergence.py  σ convergence (dispersion by period), absolute β convergence (a cross-section regression of
                growth on the initial level), and the kernel density of the scores by period

Every function takes plain arrays or long DataFrames (unit_code, period, node_id, score) and returns
DataFrames; nothing here reads the lake or names a DEI indicator. The formulas are stated where each is
computed; scipy provides the regression and the kernel density. The Gini and Theil are computed here with
Dagum's decomposition, which no maintained library has (it needs the same pairwise sums), and checked against
PySAL's `inequality` in the tests (tests/analyses/test_disparity.py): importing it takes seconds and brings
geopandas, so it is a test dependency only.
"""
