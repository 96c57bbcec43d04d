"""What `peakwatch run` and `peakwatch show` print: the answer first
(reporting.console), the details on request, then where the outputs are."""

from pathlib import Path

from rich.console import Console
from rich.text import Text

from peakwatch.redact import redact_url
from peakwatch.reporting.console import run_answer, run_details
from peakwatch.results.summary import RunSummary
from peakwatch.store.catalog import RUN_LOG


def where(summary: RunSummary, summary_path: Path, report_path: Path, tracking_uri: str) -> list[str]:
    """Where a run's outputs are, with UI links when servers are configured.

    ``tracking_uri`` (with any credentials) only connects; what is printed is redacted."""
    from prefect.settings import get_current_settings

    from peakwatch.tracking.client import run_url

    uri, run_id = summary.tracking_uri, summary.run_id
    ui_url = get_current_settings().ui_url
    flow_run = summary.prefect_flow_run_id
    lines = [f"Report:      {report_path}", f"Summary:     {summary_path}"]
    log = summary_path.parent / RUN_LOG
    if log.exists():
        lines.append(f"Log:         {log}")
    if run_id is None:
        lines.append(f"MLflow run:  none yet: pending run {summary.pending_id} (`peakwatch sync` publishes it)")
    else:
        mlflow_url = run_url(tracking_uri, run_id)
        mlflow_url = redact_url(mlflow_url) if mlflow_url else None
        if mlflow_url is None and uri.startswith("sqlite:///"):
            mlflow_url = f"open with: mlflow ui --backend-store-uri {uri}"
        lines.append(f"MLflow run:  {run_id} (experiment '{summary.experiment}')")
        lines += [f"             {mlflow_url}"] if mlflow_url else []
    lines.append(f"Prefect run: {flow_run}" + (f" ({ui_url}/runs/flow-run/{flow_run})" if ui_url else " (ephemeral server)"))
    return lines


def print_run(summary: RunSummary, summary_path: Path, report_path: Path, tracking_uri: str, details: bool = False) -> None:
    """``tracking_uri``: the real one (with any credentials), to link the run; printed redacted.
    Long paths fold at the terminal's width rather than run past it."""
    console = Console(highlight=False, soft_wrap=False)
    for part in [*run_answer(summary), *(run_details(summary) if details else ())]:
        console.print(part, overflow="fold")
        console.print()
    if not details:
        console.print("Details (scenarios, sources, validation, every warning): peakwatch show, or run --details")
    for line in where(summary, summary_path, report_path, tracking_uri):
        console.print(Text(line), overflow="fold")
