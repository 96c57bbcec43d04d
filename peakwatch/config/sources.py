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
    derive_prefix: str = "unlisted"


class SourceBase(Frozen):
    name: str
    path: Path | None = None
    url: str | None = None
    # Higher wins when two sources give the same region, indicator and year.
    precedence: int = 0
    format: Literal["csv", "parquet", "excel"] | None = None  # default: from the file suffix
    encoding: Literal["auto", "utf-8", "utf-8-sig", "gbk", "gb18030"] = "auto"
    sheet: str | None = None  # Excel only; default: the first sheet
    header_row: int = Field(0, ge=0)  # rows above the header to skip (a yearbook table's title)
    label: str | None = None  # value of the contract's `source` column; default: name
    missing_values: tuple[str, ...] = ()  # cell texts meaning "not available" (empty cells always do)
    regions: RegionMatching = RegionMatching()
    timeout_seconds: float = Field(30.0, gt=0)
    retries: int = Field(3, ge=0)
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

    kind: Literal["tidy", "tidy_csv"]  # tidy_csv: the skeleton's name, kept working
    # contract column -> header in the file (default: the contract name itself)
    # (a `source` column, when present and no `label` is set, is kept row by row)
    columns: dict[Literal["region_id", "year", "indicator", "value", "unit", "source"], str] = {}
    indicator: str | None = None  # when the file has no indicator column
    unit: str | None = None  # when the file has no unit column


class WideYearsSource(SourceBase):
    """Regions as rows, years as columns (yearbook / CEADs emission matrix)."""

    kind: Literal["wide_years"]
    region_column: str
    indicator: str
    unit: str


class IndicatorColumn(Frozen):
    indicator: str
    unit: str


class WideIndicatorsSource(SourceBase):
    """Years as rows, indicators as columns; one region per table or a region column."""

    kind: Literal["wide_indicators"]
    year_column: str
    region: str | None = None
    region_column: str | None = None
    columns: dict[str, IndicatorColumn]

    @model_validator(mode="after")
    def _one_region(self):
        if (self.region is None) == (self.region_column is None):
            raise ValueError(f"source '{self.name}': give exactly one of `region` or `region_column`")
        return self


SourceConfig = Annotated[TidySource | WideYearsSource | WideIndicatorsSource, Field(discriminator="kind")]
