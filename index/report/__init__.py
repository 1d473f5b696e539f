"""The static monitoring site (数字经济发展指数监测平台) of a published release: ``build(release_dir, out_dir)``."""

from index.report.build import build

__all__ = ["build"]
