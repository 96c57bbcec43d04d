"""The orchestration layer: configuration, Prefect flows and tasks, Dask,
MLflow logging, warnings and the CLI. The computation lives in ``forecasting``."""
