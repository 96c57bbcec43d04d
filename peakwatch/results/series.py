"""The summary's rows: one per series (``SeriesRow``) and one per region x
indicator x scenario of the scenario simulation (``ScenarioRow``).

A group of fields a row did not have (the peak statistics of a series that
could not be forecast, the intensity check of a region that was not checked)
is left out of its JSON rather than written as nulls, as summary.json always had it.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from peakwatch.results.fields import pick, take

# The scenario of a plain statistical forecast (the scenario engine adds others).
DEFAULT_SCENARIO = "statistical"
SeriesKey = tuple[str, str, str]  # region_id, indicator, scenario

# The two humps of a series' peak-year distribution (results.words.peak_humps); the rest is in peak_years.csv.
HUMP_FIELDS = ("p_already_peaked", "history_peak_year")
INTENSITY_FIELDS = (
    "energy_direction",
    "co2_direction",
    "directions_disagree",
    "carbon_intensity_last",
    "carbon_intensity_end",
    "carbon_intensity_within_bounds",
    "carbon_intensity_first_year_out_of_bounds",
)
SERIES_FIELDS = (
    "region_id",
    "name_zh",
    "name_en",
    "indicator",
    "scenario",
    "unit",
    "model",
    "model_reason",
    "status",
    "n_observed_years",
    "first_year",
    "last_observed_year",
    "filled_years",
    "history_sha256",
    "error",
    "model_detail",
    "backtest",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class PeakStats:
    """The peak statistics of a series' or a scenario's row, left out of its JSON
    when it was not forecast. In summary.json they follow the row's own fields,
    in this order (PEAK_FIELDS); keyword-only, so the rows' positional fields
    stay theirs (``SeriesRow("hunan.a", "co2_emissions")``)."""

    target_year: int | None = None
    peak_year_median: float | None = None
    peak_year_p10: float | None = None
    peak_year_p90: float | None = None
    p_peak_by_target: float | None = None
    p_censored: float | None = None
    peak_value: float | None = None
    peak_value_p10: float | None = None
    peak_value_p90: float | None = None


PEAK_FIELDS = tuple(f.name for f in fields(PeakStats))


@dataclass(frozen=True, slots=True)
class SeriesRow(PeakStats):
    """One statistical series (region x indicator) of a run."""

    region_id: str
    indicator: str
    name_zh: str | None = None
    name_en: str | None = None
    scenario: str | None = DEFAULT_SCENARIO
    unit: str | None = None
    model: str | None = None
    model_reason: str | None = None
    status: str | None = None
    n_observed_years: int | None = None
    first_year: int | None = None
    last_observed_year: int | None = None
    filled_years: list[int] = field(default_factory=list)
    history_sha256: str | None = None
    error: str | None = None
    model_detail: str | None = None
    backtest: dict | None = None  # earlier engines' chosen-model scores; None since the pooled engine
    # the region's energy/CO2 consistency check (forecasting.intensity), when it ran
    energy_direction: str | None = None
    co2_direction: str | None = None
    directions_disagree: bool | None = None
    carbon_intensity_last: float | None = None
    carbon_intensity_end: float | None = None
    carbon_intensity_within_bounds: bool | None = None
    carbon_intensity_first_year_out_of_bounds: int | None = None
    p_already_peaked: float | None = None  # share of paths whose peak is in the observed history
    history_peak_year: int | None = None  # ... the year of that peak
    # summaries from before peak_years.csv kept the distribution in the row
    peak_year_distribution: dict | None = None

    @property
    def key(self) -> SeriesKey:
        return self.region_id, self.indicator, self.scenario or DEFAULT_SCENARIO

    @property
    def has_peaks(self) -> bool:
        return self.peak_year_median is not None

    @property
    def humps(self) -> tuple[float, int | None, float] | None:
        """(share already peaked, its year, share still rising in 2060), when the row has them."""
        if self.p_already_peaked is None or self.p_censored is None:
            return None
        return self.p_already_peaked, self.history_peak_year, self.p_censored

    def to_json(self) -> dict:
        out = pick(self, SERIES_FIELDS)
        if self.energy_direction is not None:
            out.update(pick(self, INTENSITY_FIELDS))
        if self.has_peaks:
            out.update(pick(self, PEAK_FIELDS))
        if self.p_already_peaked is not None:
            out.update(pick(self, HUMP_FIELDS))
        if self.peak_year_distribution is not None:
            out["peak_year_distribution"] = self.peak_year_distribution
        return out

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> "SeriesRow":
        # a summary written before scenarios existed has no scenario: statistical
        return take(cls, raw, **({} if raw.get("scenario") else {"scenario": DEFAULT_SCENARIO}))


@dataclass(frozen=True, slots=True)
class WhatItTakesRow:
    """The extra yearly intensity cut that gives P(peak <= target) >= ``probability``."""

    lever: str
    probability: float
    reachable: bool
    extra_cut: float | None
    scenario_cut: float | None
    required_cut: float | None
    achieved_probability: float | None
    noise_range: list[float] | None = None
    close_call: bool = False

    from_json = classmethod(take)

    def to_json(self) -> dict:
        return pick(self, (f.name for f in fields(self)))


SCENARIO_FIELDS = (
    "region_id",
    "name_zh",
    "name_en",
    "scenario",
    "indicator",
    "unit",
    "last_observed_year",
    "drivers",
    "events",
    "notes",
    "error",
)


@dataclass(frozen=True, slots=True)
class ScenarioRow(PeakStats):
    """One region x indicator x scenario of the scenario simulation."""

    region_id: str
    indicator: str
    scenario: str
    name_zh: str | None = None
    name_en: str | None = None
    unit: str | None = None
    last_observed_year: int | None = None
    drivers: dict[str, str] = field(default_factory=dict)
    events: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    # a scenario's child run has no files: its peak-year distribution stays in the row
    peak_year_distribution: dict[str, float] | None = None
    value_at_target: float | None = None
    what_it_takes: WhatItTakesRow | None = None

    @property
    def key(self) -> SeriesKey:
        return self.region_id, self.indicator, self.scenario

    def to_json(self) -> dict:
        out = pick(self, SCENARIO_FIELDS)
        if self.peak_year_median is not None:
            out.update(pick(self, PEAK_FIELDS))
            out.update(peak_year_distribution=self.peak_year_distribution, value_at_target=self.value_at_target)
        if self.what_it_takes is not None:
            out["what_it_takes"] = self.what_it_takes.to_json()
        return out

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> "ScenarioRow":
        what = raw.get("what_it_takes")
        return take(cls, raw, what_it_takes=WhatItTakesRow.from_json(what) if what else None)
