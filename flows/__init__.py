"""The orchestration layer: Prefect flows and tasks, the Dask cluster and the
deployment. Everything they orchestrate lives in the rooms of ``peakwatch``
and in ``forecasting`` and ``validation`` (docs/architecture.md)."""

import peakwatch  # noqa: F401  (memory settings, before any module of the flows imports Polars)
