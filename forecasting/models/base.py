from typing import Protocol

import numpy as np


class ModelFitError(RuntimeError):
    """A model could not be fitted to a series; the caller falls back."""


class FittedModel(Protocol):
    name: str

    def simulate(self, horizon: int, n_paths: int, rng: np.random.Generator) -> np.ndarray:
        """Future paths in the series' own units, shape (n_paths, horizon)."""
        ...
