"""Late series: P(peak <= its target year) below the threshold (the region's own, when set)."""

from collections.abc import Iterable, Mapping

from forecasting.peaks import format_peak_year
from peakwatch.results.notices import SeriesWarning
from peakwatch.results.numbers import format_p, format_threshold
from peakwatch.results.series import SeriesRow


def find_warnings(
    rows: Iterable[SeriesRow], threshold: float, overrides: Mapping[str, float] | None = None
) -> list[SeriesWarning]:
    """Series whose P(peak <= target) is below the threshold (``overrides``: per region)."""
    warnings = []
    for row in rows:
        if row.error:
            continue
        threshold_here = (overrides or {}).get(row.region_id, threshold)
        if row.p_peak_by_target >= threshold_here:
            continue
        warnings.append(
            SeriesWarning(
                region_id=row.region_id,
                indicator=row.indicator,
                kind="late",
                message=(
                    f"{row.name_en or row.region_id} {row.indicator}: "
                    f"P(peak <= {row.target_year}) = {format_p(row.p_peak_by_target, threshold_here)} "
                    f"< {format_threshold(threshold_here)}; "
                    f"median peak {format_peak_year(row.peak_year_median)}"
                ),
                p_peak_by_target=row.p_peak_by_target,
                peak_year_median=row.peak_year_median,
                target_year=row.target_year,
                threshold=threshold_here,
            )
        )
    return warnings
