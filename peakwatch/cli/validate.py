"""``peakwatch validate``: the validation gate alone, on a config's sources or one file.

Reads the data as the monthly flow does but snapshots nothing and starts no
run: no Prefect, no Dask, no MLflow. Data Docs go where the caller says.
"""

from pathlib import Path

import polars as pl

from peakwatch.config import Config, TidySource
from peakwatch.sources import SourceError
from peakwatch.sources.pull import read_panel
from peakwatch.store.catalog import Catalog
from validation.gate import ValidationReport, validate_panel


def load_panel(config: Config, file: Path | None) -> pl.DataFrame:
    """The contract frame from ``file`` (a tidy CSV) or from every source of the config."""
    if file is not None:
        path = Path(file)
        if not path.is_file():
            raise SourceError(f"cannot read {path}: no such file")
        chosen = (TidySource(name=path.name, kind="tidy", path=path),)
    else:
        chosen = config.sources
    return read_panel(chosen, config.regions, Catalog(config.artifacts_dir))


def validate_data(config: Config, file: Path | None, docs_dir: Path | None) -> ValidationReport:
    panel = load_panel(config, file)
    return validate_panel(panel, config.validation.settings(), config.regions.parents(), docs_dir)
