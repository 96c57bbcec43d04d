"""Snapshot of the team deployment in prefect.yaml (what `prefect deploy` registers)."""

import inspect

import yaml
from prefect.flows import load_flow_from_entrypoint

from peakwatch.cli import main
from peakwatch.cli.errors import EXIT_ERROR
from peakwatch.config import load_config
from flows.deployment import SCHEDULED_WAIT_SECONDS, describe_deployment, pool_deployments
from tests.deploy.stack import PREFECT_YAML

SNAPSHOT = {
    "name": "team-monthly",
    "entrypoint": "flows.monthly.monthly_flow",
    "work_pool": {"name": "peakwatch"},
    "schedules": [{"cron": "0 6 1 * *", "timezone": "Asia/Shanghai", "active": True}],
    "parameters": {
        "config_path": "/opt/peakwatch/configs/peakwatch.yaml",
        "artifacts_dir": "/srv/peakwatch/artifacts",
        "wait_seconds": 3600,
    },
    "tags": ["peakwatch"],
}


def project() -> dict:
    return yaml.safe_load(PREFECT_YAML.read_text(encoding="utf-8"))


def test_team_deployment_snapshot():
    [deployment] = project()["deployments"]
    assert {key: deployment[key] for key in SNAPSHOT} == SNAPSHOT


def test_workers_pull_no_code_they_run_the_installed_flow():
    spec = project()
    assert (spec["build"], spec["push"], spec["pull"]) == (None, None, [])
    flow = load_flow_from_entrypoint(SNAPSHOT["entrypoint"])  # a module path: importable wherever peakwatch is installed
    assert flow.name == "peakwatch-monthly"
    assert set(SNAPSHOT["parameters"]) <= set(inspect.signature(flow.fn).parameters)


def test_schedule_and_wait_are_those_of_peakwatch_serve():
    schedule = load_config().schedule
    [deployment] = project()["deployments"]
    [cron] = deployment["schedules"]
    assert (cron["cron"], cron["timezone"]) == (schedule.cron, schedule.timezone)
    assert deployment["parameters"]["wait_seconds"] == SCHEDULED_WAIT_SECONDS


def test_peakwatch_deploy_registers_what_prefect_deploy_would():
    [deployment] = pool_deployments(parameters={"wait_seconds": 600})
    assert describe_deployment(deployment) == {
        "name": "team-monthly",
        "flow_name": "peakwatch-monthly",
        "entrypoint": "flows.monthly.monthly_flow",
        "schedules": [{"cron": "0 6 1 * *", "timezone": "Asia/Shanghai", "active": True}],
        "paused": False,
        "parameters": {**SNAPSHOT["parameters"], "wait_seconds": 600},
        "tags": ["peakwatch"],
    }
    assert deployment.work_pool_name == "peakwatch" and deployment.storage is None  # no code to pull


def test_peakwatch_deploy_needs_the_teams_server(capsys):
    assert main(["deploy"]) == EXIT_ERROR  # the test session sets no PREFECT_API_URL
    assert "set PREFECT_API_URL to the team's Prefect server" in capsys.readouterr().err
