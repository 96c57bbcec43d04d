"""Match the region names sources use to registry ids.

Accepted spellings of a registry region: its id, code, Chinese name with or
without the 省/市/县/区 suffix, with or without its province (and city) as a
prefix (湖南岳阳, 湖南省岳阳市), its pinyin/English name, and any `aliases`.
A name that matches nothing, or more than one region, is returned unmatched
with the reason; the caller reports it.
"""

import re
from dataclasses import dataclass

from peakwatch.config import Region, Registry

_SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "自治州", "自治县", "地区", "省", "市", "县", "区", "盟")
_EN_SUFFIXES = re.compile(r"(city|county|district|province|prefecture|shi|xian|qu|sheng)$")
# Province-level short names: sources often prefix city names with them (CEADs: 安徽安庆).
PROVINCES = (
    "北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江", "上海", "江苏", "浙江", "安徽",
    "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "重庆", "四川", "贵州",
    "云南", "西藏", "陕西", "甘肃", "青海", "宁夏", "新疆", "香港", "澳门", "台湾",
)


def strip_suffix(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


def _norm(name: str) -> str:
    text = re.sub(r"\s+", "", str(name)).replace("\u3000", "")
    return text.lower() if text.isascii() else text


def _latin(name: str) -> str:
    return _EN_SUFFIXES.sub("", re.sub(r"[\s\-_'.]", "", name.lower()))


@dataclass(frozen=True)
class Match:
    region_id: str | None
    reason: str = ""


class RegionMatcher:
    def __init__(self, registry: Registry):
        self._keys: dict[str, set[str]] = {}
        by_id = {r.id: r for r in registry.regions}
        self._province: dict[str, str] = {}  # region id -> short name of its province
        for region in registry.regions:
            for key in self._spellings(region, by_id):
                self._keys.setdefault(key, set()).add(region.id)
            top = region
            while top.parent and top.parent in by_id:
                top = by_id[top.parent]
            if top.level == "province":
                self._province[region.id] = strip_suffix(top.name_zh)

    @staticmethod
    def _spellings(region: Region, by_id: dict[str, Region]) -> set[str]:
        own = {region.name_zh, strip_suffix(region.name_zh), *region.aliases}
        keys = {_norm(region.id), *(_norm(a) for a in own)}
        if region.code:
            keys.add(_norm(region.code))
        keys |= {_latin(region.name_en), *(_latin(a) for a in region.aliases if a.isascii())}
        prefixes = {""}
        parent = by_id.get(region.parent) if region.parent else None
        while parent is not None:  # 湖南岳阳, 湖南省岳阳市, 岳阳平江县, 湖南岳阳平江 ...
            forms = {parent.name_zh, strip_suffix(parent.name_zh)}
            prefixes |= {form + p for form in forms for p in prefixes}
            parent = by_id.get(parent.parent) if parent.parent else None
        keys |= {_norm(p + name) for p in prefixes for name in own}
        return {k for k in keys if k}

    def match(self, name: str) -> Match:
        text = _norm(name)
        candidates = [(text, None), (strip_suffix(text), None)]
        if text.isascii():
            candidates.append((_latin(text), None))
        for province in PROVINCES:  # a province prefix the registry may not list
            if text.startswith(province) and len(text) > len(province):
                rest = text[len(province):].lstrip("省市")
                candidates += [(rest, province), (strip_suffix(rest), province)]
        for key, province in candidates:
            ids = self._keys.get(key, set())
            if province:  # 湖北岳阳 is not 湖南's 岳阳
                ids = {i for i in ids if self._province.get(i, province) == province}
            if ids and len(ids) == 1:
                return Match(next(iter(ids)))
            if ids:
                return Match(None, f"ambiguous: matches {sorted(ids)}; add an alias to one of them")
        return Match(None, "no region in the registry has this id, code, name or alias")


def derive_region_id(name: str, prefix: str) -> str:
    """An id for a region the registry does not list: '<prefix>.<name as written>'."""
    return f"{prefix}.{_norm(name)}"
