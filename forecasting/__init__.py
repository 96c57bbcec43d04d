"""Pure forecasting core: arrays and Polars frames in, dataclasses out.

Nothing in this package imports Prefect, Dask, MLflow or Great Expectations,
and nothing here touches the file system (tests/forecasting/test_purity.py).
"""
