"""MLflow child runs for scenario results: one per region x indicator x
scenario, under the flow's parent run, tagged ``scenario`` (the statistical
forecasts' child runs carry scenario "statistical")."""

from forecasting.scenarios import ScenarioResult
from peakwatch.store.pending import RunRecord
from peakwatch.tracking.layout import KIND_TAG

SCENARIO_KIND = "scenario"
SCENARIO_TAG = "scenario"


def scenario_metrics(result: ScenarioResult) -> dict[str, float]:
    metrics = {}
    if result.peaks is not None:
        p = result.peaks
        metrics.update(
            peak_year_median=p.peak_year_median,
            peak_year_p10=p.peak_year_p10,
            peak_year_p90=p.peak_year_p90,
            p_peak_by_target=p.p_peak_by_target,
            peak_value=p.peak_value_median,
            peak_value_p10=p.peak_value_p10,
            peak_value_p90=p.peak_value_p90,
            p_censored=p.p_censored,
            value_at_target=result.value_at_target_median,
        )
    w = result.what_it_takes
    if w is not None:
        metrics["scenario_cut"] = w.scenario_cut
        metrics["cut_achieved_probability"] = w.achieved_probability
        if w.reachable:
            metrics["extra_cut"] = w.extra_cut
            metrics["required_cut"] = w.required_cut
    return metrics


def scenario_record(result: ScenarioResult, names: dict[str, tuple[str, str]]) -> RunRecord:
    """The child run of one region x indicator x scenario (no artifacts)."""
    name_zh, name_en = names.get(result.region_id, ("", ""))
    tags = {
        KIND_TAG: SCENARIO_KIND,
        SCENARIO_TAG: result.scenario,
        "region_id": result.region_id,
        "region_name_zh": name_zh,
        "region_name_en": name_en,
        "indicator": result.indicator,
        "unit": result.unit,
    }
    if result.error:
        tags["error"] = result.error[:5000]
    params = {f"driver.{k}": v[:6000] for k, v in result.drivers.items()}
    params |= {f"event.{i}": e[:6000] for i, e in enumerate(result.events)}
    if result.what_it_takes is not None:
        params["cut_lever"] = result.what_it_takes.lever
    if result.peaks is not None:
        params["target_year"] = str(result.peaks.target_year)
    return RunRecord(
        name=f"{result.region_id}/{result.indicator}/{result.scenario}",
        tags=tags,
        params=params,
        metrics={k: float(v) for k, v in scenario_metrics(result).items()},
        status="FINISHED" if result.ok else "FAILED",
    )
