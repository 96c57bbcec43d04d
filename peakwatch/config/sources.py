"""Where the data come from and how each file is shaped."""

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from peakwatch.config.base import Frozen
from peakwatch.redact import redact_url


class RegionMatching(Frozen):
    """What to do with a source's region names the registry does not know."""

    # report: list them in the run summary and leave their rows out;
    # derive: forecast them under "<derive_prefix>.<name>" (e.g. CEADs' 290 cities).
    unmatched: Literal["report", "derive"] = "report"
    # Prefix of derived ids (unmatched: derive), e.g. unlisted.<name>.
    derive_prefix: str = "unlisted"


class SourceBase(Frozen):
    # The source's name, unique in the config.
    name: str
    # A local file (relative to the config file); give path or url.
    path: Path | None = None
    # An http(s) URL to pull the file from; give path or url.
    url: str | None = None
    # Higher wins when two sources give the same region, indicator and year.
    precedence: int = 0
    format: Literal["csv", "parquet", "excel"] | None = None  # default: from the file suffix
    # Text encoding of a CSV; auto: UTF-8 (with or without BOM), else GB18030.
    encoding: Literal["auto", "utf-8", "utf-8-sig", "gbk", "gb18030"] = "auto"
    sheet: str | None = None  # Excel only; default: the first sheet
    header_row: int = Field(0, ge=0)  # rows above the header to skip (a yearbook table's title)
    label: str | None = None  # value of the contract's `source` column; default: name
    missing_values: tuple[str, ...] = ()  # cell texts meaning "not available" (empty cells always do)
    # How region names in the file are matched to the registry.
    regions: RegionMatching = RegionMatching()
    # Per-request timeout of a url source.
    timeout_seconds: float = Field(30.0, gt=0)
    # Retries of a url source after a failed request.
    retries: int = Field(3, ge=0)
    # Wait before the first retry, doubled each time.
    retry_backoff_seconds: float = Field(2.0, ge=0)

    @model_validator(mode="after")
    def _one_location(self):
        if (self.path is None) == (self.url is None):
            raise ValueError(f"source '{self.name}': give exactly one of `path` or `url`")
        if self.url is not None and not self.url.startswith(("http://", "https://")):
            raise ValueError(f"source '{self.name}': url must start with http:// or https://, got {redact_url(self.url)!r}")
        return self

    @property
    def location(self) -> str:
        """Where the source is, as shown in messages, the manifest and the summary (a URL
        without credentials); fetching uses ``url`` itself."""
        return redact_url(self.url) if self.url is not None else str(self.path)

    @property
    def suffix(self) -> str:
        tail = self.url.split("?")[0] if self.url is not None else str(self.path)
        return Path(tail).suffix.lower()

    @property
    def file_format(self) -> str:
        if self.format:
            return self.format
        return {".parquet": "parquet", ".pq": "parquet", ".xlsx": "excel", ".xls": "excel"}.get(self.suffix, "csv")


class TidySource(SourceBase):
    """One row per region, year, indicator. Missing columns may be fixed in config."""

    # One row per region, year and indicator (tidy_csv: the skeleton's name, kept working).
    kind: Literal["tidy", "tidy_csv"]
    # contract column -> header in the file (default: the contract name itself)
    # (a `source` column, when present and no `label` is set, is kept row by row)
    columns: dict[Literal["region_id", "year", "indicator", "value", "unit", "source"], str] = {}
    indicator: str | None = None  # when the file has no indicator column
    unit: str | None = None  # when the file has no unit column


class WideYearsSource(SourceBase):
    """Regions as rows, years as columns (yearbook / CEADs emission matrix)."""

    # One row per region, one column per year.
    kind: Literal["wide_years"]
    # The column holding region names or ids.
    region_column: str
    # The indicator all values are (e.g. co2_emissions).
    indicator: str
    # The values' unit (converted to the contract's unit on read).
    unit: str


class IndicatorColumn(Frozen):
    # The contract indicator this column holds.
    indicator: str
    # The column's unit (converted on read).
    unit: str


class WideIndicatorsSource(SourceBase):
    """Years as rows, indicators as columns; one region per table or a region column."""

    # One row per year (and region), one column per indicator.
    kind: Literal["wide_indicators"]
    # The column holding the year.
    year_column: str
    # The region of every row, for a one-region file (or give region_column).
    region: str | None = None
    # The column holding region names or ids.
    region_column: str | None = None
    # File column -> its indicator and unit.
    columns: dict[str, IndicatorColumn]

    @model_validator(mode="after")
    def _one_region(self):
        if (self.region is None) == (self.region_column is None):
            raise ValueError(f"source '{self.name}': give exactly one of `region` or `region_column`")
        return self


SourceConfig = Annotated[TidySource | WideYearsSource | WideIndicatorsSource, Field(discriminator="kind")]
