"""Running the DAGs on one machine: ``make run`` (run.py: the three DAGs with ``airflow dags test``, then the
ranking) and ``make airflow`` (airflow.py: api-server, scheduler and dag-processor with shared settings)."""
