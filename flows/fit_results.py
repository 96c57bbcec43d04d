"""The fit stage's forecasts, turned into the payload's parts as partitions arrive.

The monthly flow hands each partition from the cluster to ``FitResults.add``:
every series' files go into the payload folder and its child run record into
children.jsonl; its summary row and input history are kept, the forecast is not
(at 10 000 series the forecasts, held until the payload was written, were
~120 MB of the flow's peak). A region's rows are made once all its series are
in: the intensity check reads its energy and CO2 forecasts together, and a
partition may end between them.
"""

from array import array
from collections import Counter
from pathlib import Path

from peakwatch.store import pending
from peakwatch.results import summary
from peakwatch.tracking import layout as tracking
from peakwatch.config import Registry
from forecasting.intensity import check_regions
from forecasting.series import SeriesForecast


class FitResults:
    def __init__(self, folder: Path, registry: Registry, series_per_region: Counter, common_tags: dict[str, str]):
        """``folder``: the payload being built; ``series_per_region``: how many
        series of each region the cluster will return."""
        self.folder = folder
        self.files = tracking.SeriesFiles(folder, pending.SERIES_DIR)
        self._registry = registry
        self._names = registry.names()
        self._common_tags = common_tags
        self._expected = series_per_region
        self._waiting: dict[str, list[SeriesForecast]] = {}  # regions with series still to come
        self._rows: list[dict] = []
        self._histories: dict[tuple[str, str], array] = {}

    def add(self, forecasts: list[SeriesForecast]) -> None:
        """Write a partition's files and child run records; keep its rows and histories."""
        records = self.files.write(forecasts, self._names, common_tags=self._common_tags)
        pending.append_records(self.folder, records)
        for forecast in forecasts:
            self._histories[(forecast.region_id, forecast.indicator)] = pending.as_history(forecast.history)
            waiting = self._waiting.setdefault(forecast.region_id, [])
            waiting.append(forecast)
            if len(waiting) == self._expected[forecast.region_id]:
                del self._waiting[forecast.region_id]
                intensity = check_regions(waiting).get(forecast.region_id)
                self._rows.extend(summary.series_row(f, self._registry, intensity) for f in waiting)

    def _check_complete(self) -> None:
        if self._waiting:
            missing = sorted(self._waiting)
            raise RuntimeError(f"the fit stage returned only part of the series of {len(missing)} region(s): {missing[:5]}")

    def rows(self) -> list[dict]:
        """The summary row of every series, by region and indicator."""
        self._check_complete()
        self._rows.sort(key=lambda row: (row["region_id"], row["indicator"]))
        return self._rows

    def histories(self) -> dict[tuple[str, str], array]:
        """Every series' input history (``pending.as_history``), by region and indicator."""
        self._check_complete()
        return dict(sorted(self._histories.items()))
