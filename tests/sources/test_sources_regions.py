import pytest

from peakwatch.config import Registry
from peakwatch.sources.regions import RegionMatcher, derive_region_id
from tests.sources._sources_helpers import REGISTRY


@pytest.mark.parametrize(
    "name, region_id",
    [
        ("湖南岳阳", "hunan.yueyang"),
        ("岳阳", "hunan.yueyang"),
        ("岳阳市", "hunan.yueyang"),
        ("湖南省岳阳市", "hunan.yueyang"),
        ("Yueyang", "hunan.yueyang"),
        ("yueyang city", "hunan.yueyang"),
        ("430600", "hunan.yueyang"),
        ("hunan.yueyang", "hunan.yueyang"),
        ("平江县", "hunan.yueyang.pingjiang"),
        ("平江", "hunan.yueyang.pingjiang"),
        ("湖南岳阳平江县", "hunan.yueyang.pingjiang"),
        ("湖南株洲", "hunan.zhuzhou"),
        ("Zhuzhou Shi", "hunan.zhuzhou"),
        ("湖南省", "hunan"),
    ],
)
def test_registry_spellings_match(name, region_id):
    assert RegionMatcher(REGISTRY).match(name).region_id == region_id


def test_province_prefix_must_agree_with_the_registry():
    match = RegionMatcher(REGISTRY).match("湖北岳阳")
    assert match.region_id is None and "no region" in match.reason


def test_unknown_city_is_unmatched_and_can_get_a_derived_id():
    assert RegionMatcher(REGISTRY).match("安徽安庆").region_id is None
    assert derive_region_id("安徽 安庆", "ceads") == "ceads.安徽安庆"


def test_aliases_added_in_config_match_without_code():
    raw = REGISTRY.model_dump()
    raw["regions"] = list(raw["regions"])
    raw["regions"][1]["aliases"] = ["巴陵", "Baling"]
    registry = Registry(**raw)
    assert RegionMatcher(registry).match("巴陵").region_id == "hunan.yueyang"
    assert RegionMatcher(registry).match("baling").region_id == "hunan.yueyang"


def test_ambiguous_name_is_reported_not_guessed():
    raw = REGISTRY.model_dump()
    raw["regions"] = [*raw["regions"], {"id": "other", "name_zh": "岳阳县", "name_en": "Yueyang County", "level": "county"}]
    match = RegionMatcher(Registry(**raw)).match("岳阳")
    assert match.region_id is None and "ambiguous" in match.reason
