"""Uncertainty and sensitivity analysis of a composite index built by the engine (index/engine).

spec.py       the uncertainty spec (TOML, typed models): which method choices vary and how
analysis.py   the variants through the real engine, the fast replicate path, Monte Carlo rank intervals,
              Sobol indices (scipy) and the leave-one-out table
cli.py        ``dei sensitivity``
release.py    the analysis published with every release (rank_intervals, sensitivity, exclusion_effects)
bench.py      ``python -m index.uncertainty.bench``: the fast path against one engine build per replicate
"""
