"""Deployment wiring, in one place: the monthly flow on its cron schedule.

``peakwatch serve`` registers the deployment with the configured Prefect API
(``PREFECT_API_URL``; the ephemeral local server when unset) and runs its
flow runs in this process until stopped. Manual runs:
``prefect deployment run 'peakwatch-monthly/<deployment>'`` or the UI.
"""

from pathlib import Path

from prefect import serve
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron
from prefect.types.entrypoint import EntrypointType

from flows.monthly import monthly_flow
from peakwatch.config import ScheduleConfig

# A scheduled run that finds the artifacts folder busy (a manual run or sync
# still going at 06:00) queues this long behind it instead of failing at once.
SCHEDULED_WAIT_SECONDS = 3600


def build_deployment(
    schedule: ScheduleConfig, config_path: Path, artifacts_dir: Path | None = None
) -> RunnerDeployment:
    parameters = {"config_path": str(Path(config_path).resolve()), "wait_seconds": SCHEDULED_WAIT_SECONDS}
    if artifacts_dir is not None:
        parameters["artifacts_dir"] = str(Path(artifacts_dir).resolve())
    return monthly_flow.to_deployment(
        name=schedule.deployment,
        schedules=[Cron(schedule.cron, timezone=schedule.timezone)],
        paused=schedule.paused,
        parameters=parameters,
        description="Monthly peak-year projections and early warnings (peakwatch serve).",
        tags=["peakwatch"],
        # a module path, not a file path: the same wherever serve was started
        entrypoint_type=EntrypointType.MODULE_PATH,
    )


def describe_deployment(deployment: RunnerDeployment) -> dict:
    """The parts of a deployment worth pinning in a snapshot test."""
    return {
        "name": deployment.name,
        "flow_name": deployment.flow_name,
        "entrypoint": deployment.entrypoint,
        "schedules": [
            {"cron": s.schedule.cron, "timezone": s.schedule.timezone, "active": s.active}
            for s in deployment.schedules or []
        ],
        "paused": deployment.paused,
        "parameters": dict(deployment.parameters),
        "tags": list(deployment.tags),
    }


def serve_deployment(deployment: RunnerDeployment) -> None:
    """Register the deployment and execute its runs here until interrupted."""
    serve(deployment)
