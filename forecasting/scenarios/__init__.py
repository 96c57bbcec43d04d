"""Scenario simulation: Kaya Monte Carlo under baseline, plan and user
scenarios, planned plants as events, and what it takes to peak on time.

Pure like the rest of ``forecasting``: typed inputs in, frozen results out.
"""

from forecasting.scenarios.run import (
    STATISTICAL_SCENARIO,
    simulate_partition,
    simulate_region,
    simulate_scenario,
    split_regions,
)
from forecasting.scenarios.spec import (
    DRIVERS,
    DriverSpec,
    PlanTargets,
    PlantEvent,
    RegionInput,
    ScenarioResult,
    ScenarioSettings,
    ScenarioSpec,
    WhatItTakes,
)

__all__ = [
    "DRIVERS",
    "STATISTICAL_SCENARIO",
    "DriverSpec",
    "PlanTargets",
    "PlantEvent",
    "RegionInput",
    "ScenarioResult",
    "ScenarioSettings",
    "ScenarioSpec",
    "WhatItTakes",
    "simulate_partition",
    "simulate_region",
    "simulate_scenario",
    "split_regions",
]
