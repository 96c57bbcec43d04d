"""The run summary: one row per region x indicator, built from forecasts and
the registry, written as summary.json and printed as a table."""

import hashlib
import json
import unicodedata
from collections.abc import Iterator, Mapping
from typing import Any

from forecasting.intensity import IntensityCheck
from forecasting.peaks import PeakStatistics, format_peak_year
from forecasting.series import SeriesForecast
from peakwatch.config import Registry
from peakwatch.results.probability import format_p

# The scenario of a plain statistical forecast (the scenario engine adds others).
DEFAULT_SCENARIO = "statistical"


def row_key(row: Mapping[str, Any]) -> tuple[str, str, str]:
    """(region_id, indicator, scenario) of a summary row: one per series in a run."""
    return row["region_id"], row["indicator"], row.get("scenario") or DEFAULT_SCENARIO


class RunSummary(Mapping[str, Any]):
    """A run summary as the flows return it: read-only, and opaque to Prefect.

    Prefect walks a flow's return value object by object, looking for futures,
    and keeps a dict of every object it has seen while it does: for the plain
    dict of a 10 000-series summary (full model menu) that took ~11 s and
    +86 MB at the end of the run. Prefect does not walk into a Mapping that is
    not a dict.
    """

    def __init__(self, data: dict):
        self._data = data

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"RunSummary(run_id={self._data.get('run_id')!r}, {len(self._data.get('series', ()))} series)"


def read_summary(text: str, row_fields: frozenset[str] | None = None) -> dict:
    """A summary.json's content, with equal strings in its objects shared: as
    parsed, every row has its own copy of the same indicator, model, status and
    region id strings (a 10 000-series summary: 50 -> 29 MB of objects).

    With ``row_fields``, every row in it (any object with a ``region_id``:
    series, scenario, warning and change rows) keeps only those fields, dropped
    as the text is parsed: a run reads its previous summary while it holds its
    own rows."""
    shared: dict[str, str] = {}

    def build(pairs: list[tuple[str, Any]]) -> dict:
        obj = {k: shared.setdefault(v, v) if type(v) is str else v for k, v in pairs}
        if row_fields is not None and "region_id" in obj:
            return {k: v for k, v in obj.items() if k in row_fields}
        return obj

    return json.loads(text, object_pairs_hook=build)


def history_digest(forecast: SeriesForecast) -> str:
    """sha256 of the series' input years and values: tells revised data from new years."""
    payload = json.dumps([forecast.first_year, [None if v != v else v for v in forecast.history]])
    return hashlib.sha256(payload.encode()).hexdigest()


def peak_fields(p: PeakStatistics) -> dict:
    """The peak statistics as summary-row fields (statistical and scenario rows
    alike). Not the peak-year distribution: a series' is in its peak_years.csv
    (in the child run); in every row it was ~40 % of a full-menu row."""
    return {
        "target_year": p.target_year,
        "peak_year_median": p.peak_year_median,
        "peak_year_p10": p.peak_year_p10,
        "peak_year_p90": p.peak_year_p90,
        "p_peak_by_target": p.p_peak_by_target,
        "p_censored": p.p_censored,
        "peak_value": p.peak_value_median,
        "peak_value_p10": p.peak_value_p10,
        "peak_value_p90": p.peak_value_p90,
    }


def series_row(forecast: SeriesForecast, registry: Registry, intensity: IntensityCheck | None = None) -> dict:
    region = registry.get(forecast.region_id)
    row = {
        "region_id": forecast.region_id,
        "name_zh": region.name_zh if region else None,
        "name_en": region.name_en if region else None,
        "indicator": forecast.indicator,
        "scenario": getattr(forecast, "scenario", None) or DEFAULT_SCENARIO,
        "unit": forecast.unit,
        "model": forecast.model,
        "model_reason": forecast.model_reason,
        "status": forecast.status,
        "n_observed_years": forecast.n_observed,
        "first_year": forecast.first_year,
        "last_observed_year": forecast.last_observed_year,
        "filled_years": list(forecast.filled_years),
        "history_sha256": history_digest(forecast),
        "error": forecast.error,
        "model_detail": forecast.model_detail,
        # the chosen model's scores; every candidate's are in the series' backtest.csv
        # (in the child run): in every row they were ~40 % of a full-menu row
        "backtest": forecast.backtest.as_dict() if forecast.backtest else None,
    }
    if intensity is not None:
        row.update(intensity.as_row())
    if forecast.peaks is not None:
        row.update(peak_fields(forecast.peaks))
    return row


def pad(text: str, width: int) -> str:
    """Left-align in ``width`` terminal columns: a Chinese character takes two."""
    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(width - used, 0)


def format_table(rows: list[dict], warned: set[tuple[str, str]]) -> str:
    header = f"{'region':<26} {'name':<8} {'indicator':<19} {'status':<8} {'peak (p10-p90)':<20} {'P(<=target)':>11}  warn"
    lines = [header, "-" * len(header)]
    for row in rows:
        name = pad(row.get("name_zh") or "", 8)
        if row.get("error"):
            lines.append(f"{row['region_id']:<26} {name} {row['indicator']:<19} not forecast: {row['error']}")
            continue
        band = (
            f"{format_peak_year(row['peak_year_median'])} "
            f"[{format_peak_year(row['peak_year_p10'])}, {format_peak_year(row['peak_year_p90'])}]"
        )
        flag = "LATE" if (row["region_id"], row["indicator"]) in warned else ""
        lines.append(
            f"{row['region_id']:<26} {name} {row['indicator']:<19} {row['status']:<8} {band:<20} "
            f"{format_p(row['p_peak_by_target'], row.get('threshold')):>11}  {flag}"
        )
    return "\n".join(lines)


def format_pull(pull: dict) -> str:
    """What each source gave, and what it could not place (never silently dropped)."""
    lines = []
    for src in pull["sources"]:
        lines.append(f"source {src['source']}: {src['rows']} rows, {src['fetched']}, sha256 {src['sha256'][:12]}")
        if src["derived"]:
            lines.append(f"  {len(src['derived'])} region(s) not in the registry, forecast under derived ids")
        for item in src["unmatched"]:
            lines.append(f"  unmatched region {item['name']!r} ({item['n_rows']} row(s)) left out: {item['reason']}")
        if src["no_data"]:
            lines.append(f"  {len(src['no_data'])} region(s) with no values at all: {', '.join(src['no_data'])}")
    if pull["n_conflicts"]:
        lines.append(f"{pull['n_conflicts']} conflicting value(s) between sources; higher precedence kept:")
        for item in pull["conflicts"][:10]:
            dropped = ", ".join(f"{d['source']}={d['value']:g}" for d in item["dropped"])
            lines.append(
                f"  {item['region_id']} {item['indicator']} {item['year']}: "
                f"kept {item['kept']['source']}={item['kept']['value']:g}, dropped {dropped}"
            )
    return "\n".join(lines)


def format_filled(rows: list[dict]) -> str:
    """Which years of each forecast series were filled, not observed."""
    filled = [r for r in rows if r.get("filled_years")]
    if not filled:
        return "Every forecast series is fully observed: no years filled."
    lines = ["Filled years (missing in the data, interpolated log-linearly before fitting; not observed):"]
    for row in filled:
        years = ", ".join(map(str, row["filled_years"]))
        lines.append(f"  {row['region_id']} {row['indicator']}: {years} ({row['n_observed_years']} observed)")
    return "\n".join(lines)
