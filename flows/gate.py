"""``peakwatch validate``: the validation gate alone, on a config's sources or one file.

Reads the data as the monthly flow does but snapshots nothing and starts no
run: no Prefect, no Dask, no MLflow. Data Docs go where the caller says.
"""

from pathlib import Path

import polars as pl

from flows import sources
from flows.config import Config
from validation.gate import ValidationReport, validate_panel


def load_panel(config: Config, file: Path | None) -> pl.DataFrame:
    """The contract frame from ``file`` (a tidy CSV) or from every source of the config."""
    if file is not None:
        path = Path(file)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise sources.SourceError(f"cannot read {path}: {exc.strerror or exc}") from None
        return sources.parse_tidy_csv(data, where=str(path))
    frames = [
        sources.parse_tidy_csv(sources.read_source_bytes(s), where=f"source '{s.name}' ({s.path})")
        for s in config.sources
    ]
    return pl.concat(frames)


def validate_data(config: Config, file: Path | None, docs_dir: Path | None) -> ValidationReport:
    panel = load_panel(config, file)
    return validate_panel(panel, config.validation.settings(), config.regions.parents(), docs_dir)
