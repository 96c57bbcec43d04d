"""Planned capacity as steps in energy use and emissions."""

import numpy as np

from forecasting.scenarios.spec import PlantEvent
from forecasting.series import series_seed


def draw_years(event: PlantEvent, n_draws: int, rng: np.random.Generator) -> np.ndarray:
    """Commissioning (or retirement) year of each draw, from the event's triangular law."""
    if event.year_min == event.year_max:
        return np.full(n_draws, event.year_min)
    # Round a continuous triangular draw to whole years: the step starts in that year.
    return np.rint(rng.triangular(event.year_min - 0.5, event.year_mode, event.year_max + 0.5, n_draws)).astype(int)


def event_rng(event: PlantEvent, seed: int) -> np.random.Generator:
    """The event's own stream: its years do not depend on which other events a
    scenario applies or their order in events.yaml, and are the same in every
    region the plant counts in (seeded by the plant's own region)."""
    return np.random.default_rng(series_seed(seed, event.region_id, f"event:{event.event_id}"))


def event_steps(
    events: tuple[PlantEvent, ...],
    scope: str,
    future_years: np.ndarray,
    n_draws: int,
    seed: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Energy (Mtce) and CO2 (MtCO2) added per draw and future year by ``events``.

    A plant counts in full from the year it comes on line (or is retired). A
    draw of a year before the first future year adds nothing: that plant is
    in the observed history already, and adding it again would count it twice.
    Returns two arrays of shape (n_draws, len(future_years)).
    """
    energy = np.zeros((n_draws, len(future_years)))
    co2 = np.zeros((n_draws, len(future_years)))
    for event in events:
        start = draw_years(event, n_draws, event_rng(event, seed))
        in_history = start < future_years[0]
        active = (future_years[None, :] >= start[:, None]) & ~in_history[:, None]
        d_energy, d_co2 = event.steps(scope)
        energy += active * d_energy
        co2 += active * d_co2
    return energy, co2


def describe_event(event: PlantEvent, scope: str) -> str:
    d_energy, d_co2 = event.steps(scope)
    when = (
        str(event.year_mode)
        if event.year_min == event.year_max
        else f"{event.year_mode} ({event.year_min}-{event.year_max})"
    )
    verb = "retire" if event.action == "retire" else "add"
    return (
        f"{event.event_id}: {verb} {event.capacity_mw:g} MW {event.fuel} from {when}: "
        f"{d_energy:+.3f} Mtce, {d_co2:+.3f} MtCO2 per year"
    )
