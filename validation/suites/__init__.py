"""Expectation suites, one idea per module.

Every suite names the frame it runs on (the contract frame itself, or a frame
derived from it with Polars) and its checks. Every derived frame carries a
``region_id`` column, so each offending row points at the region to blame.
"""

from dataclasses import dataclass
from typing import Callable

import great_expectations as gx
import polars as pl

from validation.settings import GateSettings, Severity


@dataclass(frozen=True)
class Check:
    name: str  # stable, used in reports, tests and severity overrides
    expectation: gx.expectations.Expectation
    severity: Severity


@dataclass(frozen=True)
class Suite:
    name: str
    # (panel, settings, parents child->parent) -> the frame the checks run on
    build_frame: Callable[[pl.DataFrame, GateSettings, dict[str, str]], pl.DataFrame]
    build_checks: Callable[[GateSettings], list[Check]]
