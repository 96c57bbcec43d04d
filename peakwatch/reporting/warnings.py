"""The early warnings as text: the message the notification blocks send, and
the Prefect markdown artifact's table."""

from collections.abc import Sequence

from peakwatch.results.early_warnings import Decision
from peakwatch.results.notices import BackOnTime, Delivery, LateSeries


def format_message(
    decision: Decision, run: dict, experiment: str, day: str, owed: Sequence[dict] = ()
) -> tuple[str, str]:
    """(subject, body) of the message: one line per new warning, then the
    warnings of earlier runs this block did not receive (``owed``), the
    still-late and back-on-time lists. ``day``: the run's day on the schedule's clock."""
    n = len(decision.alerts)
    subject = f"peakwatch: {n} new early warning{'s' if n != 1 else ''} ({day})"
    if owed:
        subject += f", {len(owed)} not delivered before"
    lines = [a.message for a in decision.alerts]
    if owed:
        lines += ["", "Not delivered to this channel before:", *(f"{o['message']} (run of {o['run_date']})" for o in owed)]
    for title, refs in (
        ("Still late (announced before, not repeated):", decision.still_late),
        ("Back on time (late when last assessed):", decision.back_on_time),
    ):
        if refs:
            lines += ["", title, *(f"  {s.region_id} {s.indicator} [{s.scenario}]" for s in refs)]
    lines += ["", f"MLflow run {run['run_id']} in experiment '{experiment}'"]
    return subject, "\n".join(lines)


def series_list(refs: Sequence[LateSeries | BackOnTime]) -> str:
    return ", ".join(f"`{s.region_id}` {s.indicator}" for s in refs)


def format_markdown(decision: Decision, deliveries: Sequence[Delivery], day: str) -> str:
    out = [f"# peakwatch early warnings, run {day}", ""]
    if decision.alerts:
        out += [
            "| kind | region | indicator | scenario | median peak (old → new) "
            "| P(peak ≤ target) (old → new) | likely cause |",
            "|---|---|---|---|---|---|---|",
        ]
        for a in decision.alerts:
            old_year = "–" if a.peak_year_median_old is None else f"{a.peak_year_median_old:.0f}"
            old_p = "–" if a.p_peak_by_target_old is None else f"{a.p_peak_by_target_old:.2f}"
            out.append(
                f"| {a.kind} | {a.name_en} (`{a.region_id}`) | {a.indicator} | {a.scenario} "
                f"| {old_year} → {a.peak_year_median_new:.0f} | {old_p} → {a.p_peak_by_target_new:.2f} "
                f"| {'; '.join(a.causes)} |"
            )
    else:
        out.append("No new warnings.")
    if decision.still_late:
        out += ["", "Still late (not re-announced): " + series_list(decision.still_late)]
    if decision.back_on_time:
        out += ["", "Back on time: " + series_list(decision.back_on_time)]
    if deliveries:
        out += ["", "Delivery: " + ", ".join(f"{d.block}: {d.status}" for d in deliveries)]
    return "\n".join(out)
