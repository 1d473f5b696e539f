"""内蒙古数字经济发展指数 (Inner Mongolia Digital Economy Index) pipeline.

All logic lives here; the Airflow DAGs in ``dags/`` and the ``dei`` CLI are thin callers.
Keep this module import-light: DAG files import from the package at parse time.
"""

__version__ = "0.1.0"
