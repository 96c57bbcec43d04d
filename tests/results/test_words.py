"""Forecast numbers in words: what a cut means, two-humped peak distributions."""

import pytest

from peakwatch.results.words import describe_cut, describe_peak, peak_humps


@pytest.mark.parametrize(("required", "extra", "text"), [
    (0.051, 0.025, "needs intensity −5.1 %/yr, 2.5 points more than the scenario"),
    (0.055, -0.005, "needs intensity −5.5 %/yr, 0.5 points less than the scenario"),
    (0.03, 0.0001, "needs intensity −3.0 %/yr, as in the scenario"),
    # a negative "cut" is a rise the target still allows: not a cut at all
    (-0.126, 0.008, "intensity may rise up to 12.6 %/yr, 0.8 points less than in the scenario"),
    (-0.05, -0.01, "intensity may rise up to 5.0 %/yr, 1.0 points more than in the scenario"),
])
def test_a_cut_reads_as_what_the_intensity_may_do(required, extra, text):
    assert describe_cut(required, extra) == text


def test_a_two_humped_distribution_is_said_as_two_humps():
    distribution = {"2012": 0.70, "2030": 0.03, "2045": 0.03, ">2060": 0.24}
    humps = peak_humps(distribution, last_observed_year=2022)
    assert humps == pytest.approx((0.70, 2012, 0.24)) and humps[1] == 2012
    assert describe_peak(2012.0, 2012.0, 2061.0, humps) == "70 % already peaked (2012), 24 % still rising in 2060"


def test_one_hump_keeps_the_median_and_band():
    future = peak_humps({2031: 0.5, 2035: 0.4, 2061: 0.1}, 2022)
    assert describe_peak(2031.0, 2028.0, 2040.0, future) == "2031 [2028, 2040]"
    settled = peak_humps({2012: 0.97, 2061: 0.03}, 2022)  # nearly every path peaked: the band says it
    assert describe_peak(2012.0, 2012.0, 2012.0, settled) == "2012 [2012, 2012]"
    assert describe_peak(2031.0, 2028.0, 2061.0, None) == "2031 [2028, >2060]"  # an old summary: no humps
