"""The contract's order helpers: ``in_order`` (neighbours compared, no sort)
against Python's own comparison of key tuples, and ``sorted_by`` built on it."""

import random

import polars as pl
import pytest

from peakwatch import contract as c


def _frame(rng: random.Random, n: int, sort: bool, nulls: bool) -> pl.DataFrame:
    keys = [(rng.choice("abc"), rng.choice(["x", "yy"]), rng.randint(2000, 2003)) for _ in range(n)]
    if sort:
        keys.sort()
    frame = pl.DataFrame(keys, schema={"r": pl.String, "i": pl.String, "y": pl.Int64}, orient="row")
    if nulls and n:  # one row's indicator missing
        missing = pl.int_range(pl.len()) == rng.randrange(n)
        frame = frame.with_columns(pl.when(missing).then(None).otherwise(pl.col("i")).alias("i"))
    return frame


@pytest.mark.parametrize("seed", range(60))
def test_in_order_agrees_with_comparing_key_tuples(seed):
    rng = random.Random(seed)
    frame = _frame(rng, rng.randint(0, 12), sort=seed % 3 > 0, nulls=seed % 5 == 0)
    keys = frame.rows()
    has_null = any(None in k for k in keys)
    ordered = not has_null and all(a <= b for a, b in zip(keys, keys[1:]))
    strictly = not has_null and all(a < b for a, b in zip(keys, keys[1:]))
    if len(keys) < 2:
        ordered = strictly = True
    assert c.in_order(frame, ["r", "i", "y"]) == ordered
    assert c.in_order(frame, ["r", "i", "y"], strictly=True) == strictly


def test_sorted_by_returns_the_frame_itself_when_in_order_else_a_stable_sorted_copy():
    in_order = pl.DataFrame({"r": ["a", "a", "b"], "y": [2001, 2001, 2000], "v": [1.0, 2.0, 3.0]})
    assert c.sorted_by(in_order, ["r", "y"]) is in_order
    shuffled = in_order[[2, 0, 1]]
    assert c.sorted_by(shuffled, ["r", "y"]).equals(in_order)  # equal keys keep their order (v 1.0 before 2.0)
    assert c.sorted_by(in_order[[1, 0, 2]], ["r", "y"])["v"].to_list() == [2.0, 1.0, 3.0]
