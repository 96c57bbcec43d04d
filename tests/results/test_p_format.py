"""P(peak <= target) is never printed on the wrong side of the threshold that flags it."""

import re

import numpy as np

from peakwatch.reporting import report
from peakwatch.reporting.console import format_changes, headline_table, render_text
from peakwatch.results.changes import compare_rows
from peakwatch.results.numbers import format_p, format_threshold
from peakwatch.results.ranking import rank_by_risk
from peakwatch.results.series import SeriesRow
from peakwatch.results.summary import RunSummary
from peakwatch.results.warnings import find_warnings


def test_printed_p_falls_on_the_same_side_of_the_threshold_as_p():
    for threshold in (0.5, 0.3, 0.495):
        for p in np.concatenate([np.linspace(0, 1, 2001), threshold + np.array([-1e-3, -1e-4, -1e-7, 0, 1e-7, 1e-4])]):
            text = format_p(float(p), threshold)
            assert (float(text) < threshold) == (p < threshold), (p, threshold, text)
            assert len(text.split(".")[1]) >= 2


def test_two_decimals_unless_they_would_contradict_the_flag():
    assert (format_p(0.498, 0.5), format_p(0.29, 0.5), format_p(0.504, 0.5), format_p(0.498)) == ("0.498", "0.29", "0.50", "0.50")
    assert (format_threshold(0.5), format_threshold(0.495)) == ("0.50", "0.495")


def _row(p: float) -> SeriesRow:
    return SeriesRow(**{"region_id": "hunan.yongzhou.jiangyong", "name_en": "Jiangyong", "name_zh": "江永", "indicator": "co2_emissions",
            "scenario": "statistical", "status": "rising", "error": None, "target_year": 2030, "p_peak_by_target": p,
            "peak_year_median": 2031.0, "peak_year_p10": 2026.0, "peak_year_p90": 2040.0,
            "first_year": 2005, "last_observed_year": 2023, "unit": "MtCO2", "model": "ets_log", "peak_value": 1.0})


def test_a_late_series_just_below_the_threshold_reads_below_it_everywhere():
    rows = [_row(0.498)]
    (warning,) = find_warnings(rows, 0.5)
    assert "P(peak <= 2030) = 0.498 < 0.50" in warning.message
    run = RunSummary(series=tuple(rows), warnings=(warning,))
    table = render_text([headline_table(rank_by_risk(run))])
    assert re.search(r"0\.498\s+late", table)
    env = report._environment()
    cell = env.from_string("{{ row.p_peak_by_target | p_peak(row.threshold) }}").render(row=rank_by_risk(run)[0])
    assert cell == "0.498"


def test_a_crossing_just_below_the_threshold_reads_as_one():
    (change,) = compare_rows([_row(0.498)], [_row(0.502)], 0.5)
    assert change.change == "crossed to late"
    assert "P(<=target) 0.50 -> 0.498" in format_changes([change])
