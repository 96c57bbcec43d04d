"""Several sources -> one panel: for each region, indicator and year the source
with the highest precedence wins; differing values from others are reported."""

import polars as pl

from peakwatch import contract as c

KEYS = [c.REGION_ID, c.INDICATOR, c.YEAR]
REL_TOLERANCE = 1e-6


def merge_sources(frames: list[tuple[int, pl.DataFrame]]) -> tuple[pl.DataFrame, list[dict]]:
    """``frames`` as (precedence, contract frame); returns the panel and the conflicts."""
    if not frames:
        return c.empty_frame(), []
    if len(frames) == 1:  # nothing to merge (a source has no duplicate keys): at most a sort, not five copies
        return c.conform(c.sorted_by(frames[0][1], KEYS)), []
    ranked = pl.concat([f.with_columns(_rank=pl.lit(rank, dtype=pl.Int64)) for rank, f in frames])
    ranked = ranked.sort([*KEYS, "_rank"], descending=[False, False, False, True])
    shared = ranked.filter(pl.len().over(KEYS) > 1)
    conflicts = []
    for (region, indicator, year), group in shared.group_by(KEYS, maintain_order=True):
        kept, *others = group.iter_rows(named=True)
        differing = [
            o for o in others if abs(o[c.VALUE] - kept[c.VALUE]) > REL_TOLERANCE * max(abs(kept[c.VALUE]), 1e-12)
        ]
        if differing:
            conflicts.append(
                {
                    "region_id": region,
                    "indicator": indicator,
                    "year": year,
                    "kept": {"source": kept[c.SOURCE], "value": kept[c.VALUE]},
                    "dropped": [{"source": o[c.SOURCE], "value": o[c.VALUE]} for o in differing],
                }
            )
    # `ranked` is in key order and unique keeps it: no second sort (a copy of the panel)
    panel = ranked.unique(KEYS, keep="first", maintain_order=True).drop("_rank")
    return c.conform(panel), conflicts
