"""What `peakwatch run` prints first: the verdict, then the headline table,
history and forecast labelled, within the terminal's width."""

import unicodedata

from peakwatch.reporting.console import render_text, run_answer, verdict
from peakwatch.results.notices import Change
from peakwatch.results.series import SeriesRow
from peakwatch.results.summary import RunSummary, ValidationSummary
from peakwatch.results.warnings import find_warnings


def row(region, indicator, p, **extra) -> SeriesRow:
    return SeriesRow(
        region_id=f"hunan.{region.lower()}", name_en=region, name_zh="岳阳市", indicator=indicator, status="peaked",
        target_year=2030, peak_year_median=2041.0, peak_year_p10=2024.0, peak_year_p90=2061.0, p_peak_by_target=p,
        p_censored=0.24, last_observed_year=2022, unit="MtCO2", **extra,
    )


def summary(**extra) -> RunSummary:
    rows = (row("Yueyang", "co2_emissions", 0.3), row("Zhuzhou", "co2_emissions", 0.76, p_already_peaked=0.7, history_peak_year=2012),
            row("Yueyang", "energy_consumption", 0.6), row("Zhuzhou", "energy_consumption", 0.9))
    return RunSummary(series=rows, warnings=tuple(find_warnings(rows, 0.5)), **extra)


def columns(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


def test_the_verdict_counts_late_regions_per_indicator_and_changes():
    assert verdict(summary()) == "1 of 2 regions late on CO2, 0 of 2 on energy; first run: nothing to compare with yet"
    change = Change("hunan.yueyang", "co2_emissions", "statistical", "moved")
    later = summary(previous_run_id="abc", changes=(change, change))
    assert verdict(later) == "1 of 2 regions late on CO2, 0 of 2 on energy; 1 series changed since the previous run"
    assert verdict(summary(previous_run_id="abc")).endswith("; no series changed since the previous run")


def test_the_answer_comes_first_fits_100_columns_and_labels_history_and_forecast():
    text = render_text(run_answer(summary(validation=ValidationSummary(quarantined={"hunan.short": ["history.min_observed_years"]}))), 100)
    lines = text.splitlines()
    assert lines[0].startswith("1 of 2 regions late on CO2")
    assert max(columns(line) for line in lines) <= 100
    header = " ".join(lines[2:6])
    assert "history" in header and "(observed)" in header and "forecast:" in header
    yueyang = next(line for line in lines if "Yueyang" in line and "CO2" in line)
    assert "peaked" in yueyang and "late" in yueyang  # side by side, under "history" and "forecast" headers
    wide = render_text(run_answer(summary()), 200)  # no cell wraps
    assert "70 % already peaked (2012), 24 % still rising in 2060" in wide
    assert "hunan.short" in text and "quarantined" in text  # a region kept out is a row, not silence


def test_at_80_columns_every_header_is_whole_and_long_region_names_wrap_instead():
    # rich narrowed the peak-year column first, which then took its minimum width back:
    # the table ran 3 columns past the terminal and its last header read "forecas"
    rows = (row("Jiangyong", "co2_emissions", 0.3), row("Pingjiang", "energy_consumption", 0.9))
    text = render_text(run_answer(RunSummary(series=rows, warnings=tuple(find_warnings(rows, 0.5)))), 80)
    lines = text.splitlines()
    assert max(columns(line) for line in lines) <= 80
    header = next(i for i, line in enumerate(lines) if "history" in line)
    assert lines[header].split() == ["history", "forecast:", "forecast:", "forecast:"]
    assert lines[header + 1].split() == ["region", "indicator", "(observed)", "peak", "year", "P", "vs", "2030"]
    assert "2041 [2024, >2060]" in text and "on time" in text  # the interval stays on one line


def test_below_the_tables_width_each_series_is_a_line_and_no_verdict_is_cropped():
    # at 60 columns rich cropped the table's last column: "late" read "la"
    text = render_text(run_answer(summary(validation=ValidationSummary(quarantined={"hunan.short": ["history.min_observed_years"]}))), 60)
    lines = text.splitlines()
    assert max(columns(line) for line in lines) <= 60
    assert "Yueyang 岳阳市, CO2: late, P 0.30" in text
    assert "Zhuzhou 岳阳市, energy: on time, P 0.90" in text
    assert "hunan.short: not forecast: quarantined" in " ".join(lines)
    assert "(observed)" not in text  # a list, not the table
