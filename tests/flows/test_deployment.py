"""Snapshot of the monthly deployment, and the schedule/warning config it is built from."""

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
import yaml
from cronsim import CronSim

from flows.deployment import build_deployment, describe_deployment
from flows.monthly import run_labels
from peakwatch.cli import parse
from peakwatch.cli import commands
from peakwatch.config import DEFAULT_CONFIG, ConfigError, load_config

SNAPSHOT = {
    "name": "monthly",
    "flow_name": "peakwatch-monthly",
    "entrypoint": "flows.monthly.monthly_flow",
    "schedules": [{"cron": "0 6 1 * *", "timezone": "Asia/Shanghai", "active": True}],
    "paused": False,
    "parameters": {"config_path": str(DEFAULT_CONFIG), "wait_seconds": 3600},
    "tags": ["peakwatch"],
}


def test_default_deployment_snapshot():
    deployment = build_deployment(load_config().schedule, DEFAULT_CONFIG)
    assert describe_deployment(deployment) == SNAPSHOT


def test_artifacts_dir_becomes_a_parameter(tmp_path):
    deployment = build_deployment(load_config().schedule, DEFAULT_CONFIG, tmp_path)
    assert deployment.parameters == {
        "config_path": str(DEFAULT_CONFIG), "wait_seconds": 3600, "artifacts_dir": str(tmp_path.resolve()),
    }


def write_variant(tmp_path, **sections):
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    raw["regions"] = str(DEFAULT_CONFIG.parent / "regions.yaml")
    raw["sources"][0]["path"] = str(DEFAULT_CONFIG.parent / raw["sources"][0]["path"])
    if "scenarios" in raw:
        raw["scenarios"]["dir"] = str(DEFAULT_CONFIG.parent / raw["scenarios"]["dir"])
    for name, values in sections.items():
        raw[name] = {**raw.get(name, {}), **values}
    path = tmp_path / "peakwatch.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


def test_schedule_is_configurable(tmp_path):
    path = write_variant(tmp_path, schedule={"deployment": "nightly", "cron": "30 2 * * *", "timezone": "UTC", "paused": True})
    described = describe_deployment(build_deployment(load_config(path).schedule, path))
    assert (described["name"], described["schedules"], described["paused"]) == (
        "nightly", [{"cron": "30 2 * * *", "timezone": "UTC", "active": True}], True,
    )


@pytest.mark.parametrize(
    "sections, message",
    [
        ({"schedule": {"cron": "0 6 32 * *"}}, "invalid cron expression '0 6 32 * *'"),
        ({"schedule": {"timezone": "Asia/Peking"}}, "unknown IANA timezone 'Asia/Peking'"),
        ({"warnings": {"regions": {"hunan.nowhere": {"p_peak_threshold": 0.6}}}}, "hunan.nowhere"),
        ({"warnings": {"notify": {"blocks": ["peakwatch-warnings"]}}}, "<block-type-slug>/<block-name>"),
        ({"warnings": {"scenario": "plan"}}, "warnings.scenario: Value error, only 'statistical' is supported, not 'plan'"),
    ],
)
def test_bad_schedule_or_warning_config_names_the_fault(tmp_path, sections, message):
    path = write_variant(tmp_path, **sections)
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert message in str(error.value) and str(path) in str(error.value)


def test_serve_command_is_documented():
    args = parse(["serve", "--config", str(DEFAULT_CONFIG)])
    assert args.handler is commands.serve and args.config == DEFAULT_CONFIG


def test_a_scheduled_run_is_dated_on_the_schedules_clock(tmp_path):
    config = load_config()
    schedule = config.schedule
    fire = next(CronSim(schedule.cron, datetime(2026, 12, 15, tzinfo=ZoneInfo(schedule.timezone))))
    started = fire.astimezone(timezone.utc)  # what the run reads from its clock
    assert (fire.isoformat(), started.date().isoformat()) == ("2027-01-01T06:00:00+08:00", "2026-12-31")
    assert run_labels(config, started) == ("2027-01-01", "monthly-2027-01-01-060000")
    assert schedule.run_day(started.isoformat()) == "2027-01-01"  # the message's date, from the summary's run_date
    in_utc = load_config(write_variant(tmp_path, schedule={"timezone": "UTC"}))
    assert run_labels(in_utc, started) == ("2026-12-31", "monthly-2026-12-31-220000")
