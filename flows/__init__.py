"""The orchestration layer: configuration, Prefect flows and tasks, Dask,
MLflow logging, warnings and the CLI. The computation lives in ``forecasting``."""

import os

# Polars' allocator (jemalloc) keeps freed pages for a while by default: at
# 10 000 series ~200 MB of the input's parsing stayed resident after it was
# done, and pulling and validating peaked ~100 MB higher. Hand them back at
# once. Read when Polars loads, so it is set here, before any module of the
# flow imports Polars; a value already in the environment wins.
os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:0,muzzy_decay_ms:0")
