"""Secret-free error reports, the notify step and the message formats."""

import json
import logging
import socket
from dataclasses import replace

import httpx
from mlflow import MlflowClient

from flows import notify
from flows.notify import Decided, describe_error
from peakwatch.config import DEFAULT_CONFIG, ScheduleConfig, WarningConfig, load_config
from peakwatch.reporting.warnings import format_markdown, format_message
from peakwatch.results import early_warnings
from peakwatch.results.early_warnings import Decision
from peakwatch.results.notices import Delivery
from peakwatch.results.series import SeriesRow
from peakwatch.tracking import layout as tracking, warning_state


def decide_alerts(rows: list[dict], histories, state, rules: WarningConfig, run):
    """The decision on rows as summary.json holds them."""
    return early_warnings.decide_alerts([SeriesRow.from_json(r) for r in rows], histories, state, rules.rule_for, run)

# fired at 06:00 on 1 December in Shanghai, which is still 30 November in UTC
RUN = {"run_id": "abc123", "run_date": "2026-11-30T22:00:00+00:00", "config_hash": "c", "code_version": "v"}
DAY = ScheduleConfig(timezone="Asia/Shanghai").run_day(RUN["run_date"])


# The retries themselves (Prefect's task retries) are tested against a real
# Prefect server and webhook in test_schedule_integration.py.
def test_a_failed_send_is_reported_by_its_status_without_the_url():
    request = httpx.Request("POST", "https://hooks.example.org/services/SECRET-TOKEN")
    error = httpx.HTTPStatusError("Server error '503' for url '...SECRET-TOKEN'", request=request,
                                  response=httpx.Response(503, request=request))
    assert describe_error(error) == "HTTP 503"
    assert describe_error(httpx.ConnectError("connect to https://x/SECRET-TOKEN failed")) == "ConnectError"


def decision_inputs():
    """(rows, histories): Zhuzhou late on first assessment."""
    rows = [
        {"region_id": "hunan.zhuzhou", "name_en": "Zhuzhou", "indicator": "co2_emissions", "target_year": 2030,
         "p_peak_by_target": 0.2, "peak_year_median": 2041.0, "model": "ets", "first_year": 2020,
         "last_observed_year": 2023, "error": None},
    ]
    return [SeriesRow.from_json(r) for r in rows], {("hunan.zhuzhou", "co2_emissions"): (1.0, 2.0, 3.0, 4.0)}


def decision():
    rows = [
        {"region_id": "hunan.zhuzhou", "name_en": "Zhuzhou", "indicator": "co2_emissions", "target_year": 2030,
         "p_peak_by_target": 0.2, "peak_year_median": 2041.0, "model": "ets", "first_year": 2020,
         "last_observed_year": 2023, "error": None},
        {"region_id": "hunan.hengyang.leiyang", "name_en": "Leiyang", "indicator": "co2_emissions",
         "target_year": 2030, "p_peak_by_target": 0.0, "peak_year_median": 2057.0, "model": "ets",
         "first_year": 2020, "last_observed_year": 2023, "error": None},
    ]
    state = {"series": {"hunan.hengyang.leiyang|co2_emissions|statistical": {
        "late": True, "peak_year_median": 2057.0, "p_peak_by_target": 0.0, "model": "ets", "first_year": 2020,
        "last_observed_year": 2023, "history": [1, 2, 3, 4], "target_year": 2030,
        "last_warning": {"kind": "late", "run_id": "old", "run_date": "2026-11-01"}}}}
    histories = {(r["region_id"], r["indicator"]): (1.0, 2.0, 3.0, 4.0) for r in rows}
    return decide_alerts(rows, histories, state, WarningConfig(), RUN)


def test_message_lists_new_warnings_then_still_late():
    subject, body = format_message(decision(), RUN, "peakwatch-monthly", DAY)
    assert subject == "peakwatch: 1 new early warning (2026-12-01)"
    lines = body.splitlines()
    assert lines[0].startswith("LATE    Zhuzhou (hunan.zhuzhou) co2_emissions [statistical]: late for its 2030 target")
    assert "Still late (announced before, not repeated):" in lines
    assert "  hunan.hengyang.leiyang co2_emissions [statistical]" in lines
    assert lines[-1] == "MLflow run abc123 in experiment 'peakwatch-monthly'"


def test_a_message_also_lists_the_series_back_on_time():
    rows = [
        {"region_id": "hunan.zhuzhou", "name_en": "Zhuzhou", "indicator": "co2_emissions", "target_year": 2030,
         "p_peak_by_target": 0.2, "peak_year_median": 2041.0, "model": "ets", "first_year": 2020,
         "last_observed_year": 2023, "error": None},
        {"region_id": "hunan.yueyang", "name_en": "Yueyang", "indicator": "co2_emissions", "target_year": 2030,
         "p_peak_by_target": 0.9, "peak_year_median": 2026.0, "model": "ets", "first_year": 2020,
         "last_observed_year": 2023, "error": None},
    ]
    state = {"series": {"hunan.yueyang|co2_emissions|statistical": {
        "late": True, "peak_year_median": 2041.0, "p_peak_by_target": 0.1, "model": "ets", "first_year": 2020,
        "last_observed_year": 2023, "history": [1, 2, 3, 4], "target_year": 2030,
        "last_warning": {"kind": "late", "run_id": "old", "run_date": "2026-11-01"}}}}
    histories = {(r["region_id"], r["indicator"]): (1.0, 2.0, 3.0, 4.0) for r in rows}
    lines = format_message(decide_alerts(rows, histories, state, WarningConfig(), RUN), RUN, "x", DAY)[1].splitlines()
    assert lines[lines.index("Back on time (late when last assessed):") + 1] == "  hunan.yueyang co2_emissions [statistical]"


def test_markdown_table_has_one_row_per_warning_and_the_delivery():
    markdown = format_markdown(decision(), [Delivery("custom-webhook/x", "failed", 3, "HTTP 500")], DAY)
    rows = [line for line in markdown.splitlines() if line.startswith("| late |")]
    assert markdown.startswith("# peakwatch early warnings, run 2026-12-01\n")
    assert rows == ["| late | Zhuzhou (`hunan.zhuzhou`) | co2_emissions | statistical | – → 2041 | – → 0.20 "
                    "| first assessment of this series |"]
    assert "Still late (not re-announced): `hunan.hengyang.leiyang` co2_emissions" in markdown
    assert markdown.endswith("Delivery: custom-webhook/x: failed")


def unreachable_store(password: str, monkeypatch) -> MlflowClient:
    """A real client of a tracking server that is not there, its URI holding ``password``."""
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    return MlflowClient(f"http://alice:{password}@127.0.0.1:{port}")


def test_store_errors_are_recorded_and_logged_without_the_tracking_uri_password(monkeypatch, caplog):
    password = "Pa55w0rd-SECRET"
    client = unreachable_store(password, monkeypatch)
    logger = logging.getLogger("test-notify")
    monkeypatch.setattr(notify, "get_run_logger", lambda: logger)  # no Prefect run here: its logger
    config = load_config(DEFAULT_CONFIG)
    with caplog.at_level(logging.ERROR, logger="test-notify"):
        undecided = notify.decide_warnings(config, client, "1", RUN, [], {})  # reading the state fails
        assert undecided.decision is None
        nothing_new = Decision((), (), (), {})  # nothing to deliver: straight to saving the state, which fails
        unsaved = notify.notify_warnings(config, client, RUN, Decided(nothing_new, {}))
    reports = [notify.notify_warnings(config, client, RUN, undecided).to_json(), unsaved.to_json()]
    assert [r["delivery"] for r in reports] == ["error", "none"]
    assert reports[0]["error"].startswith("MlflowException: API request to http://127.0.0.1:")
    assert reports[1]["error"].startswith("warning state not saved, announced again next run: MlflowException: "
                                          "API request to http://127.0.0.1:")
    assert password not in json.dumps(reports)
    assert len(caplog.records) == 3  # deciding; saving the state; the tags
    assert "Traceback" in caplog.text and "/api/2.0/mlflow/" in caplog.text  # the traceback is still logged
    assert password not in caplog.text and "alice" not in caplog.text


def test_a_failure_after_delivery_keeps_what_was_sent_in_the_report(monkeypatch, tmp_path, caplog):
    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    experiment_id = client.create_experiment("notify-test", artifact_location=(tmp_path / "mlruns").as_uri())
    parent = client.create_run(
        experiment_id, tags={"peakwatch.kind": "parent"}, start_time=tracking.start_time_ms(RUN["run_date"])
    )
    run = {**RUN, "run_id": parent.info.run_id}
    config = load_config(DEFAULT_CONFIG)
    [block] = config.warnings.notify.blocks
    monkeypatch.setattr(notify, "get_run_logger", lambda: logging.getLogger("test-notify"))
    # the message goes out; then the Prefect artifact cannot be written
    monkeypatch.setattr(notify, "deliver_to_block", lambda block, subject, body, settings: Delivery(block, "sent", 1))

    def artifact_refused(**_):
        raise httpx.ConnectError("Prefect API unreachable")

    monkeypatch.setattr(notify, "create_markdown_artifact", artifact_refused)
    decided = notify.decide_warnings(config, client, experiment_id, run, *decision_inputs())
    with caplog.at_level(logging.ERROR, logger="test-notify"):
        report = notify.notify_warnings(config, client, run, decided).to_json()

    assert [a["region_id"] for a in report["alerts"]] == ["hunan.zhuzhou"]
    assert report["deliveries"] == [{"block": block, "status": "sent", "attempts": 1, "error": None}]
    assert report["delivery"] == "sent"
    assert report["error"] == "tags or artifact not written: ConnectError: Prefect API unreachable"
    assert "recording the warnings failed" in caplog.text
    # the state was saved before: the next run does not announce the warning again
    state = warning_state.load_state(client, experiment_id)
    assert state == {}  # the run is not finished yet: load_state reads finished runs only
    client.set_terminated(run["run_id"])
    next_run = {**run, "run_id": "next", "run_date": "2026-12-31T22:00:00+00:00"}
    again = notify.decide_warnings(config, client, experiment_id, next_run, *decision_inputs())
    assert again.decision.alerts == ()


def test_a_run_published_after_a_newer_one_sends_nothing_and_decides_from_the_state_before_it(tmp_path, monkeypatch):
    """January announced Zhuzhou late; March (finished) found it on time; February,
    kept pending, is published last: its news is older than March's."""
    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    experiment_id = client.create_experiment("notify-test", artifact_location=(tmp_path / "mlruns").as_uri())
    monkeypatch.setattr(notify, "get_run_logger", lambda: logging.getLogger("test-notify"))
    sent = []
    monkeypatch.setattr(notify, "deliver_to_block", lambda block, subject, body, settings: sent.append(body) or Delivery(block, "sent", 1))
    config = load_config(DEFAULT_CONFIG)
    rows, histories = decision_inputs()
    on_time = [replace(rows[0], p_peak_by_target=0.9, peak_year_median=2025.0)]

    def publish(run_date: str, rows: list[SeriesRow]) -> dict:
        parent = client.create_run(
            experiment_id, tags={"peakwatch.kind": "parent"}, start_time=tracking.start_time_ms(run_date)
        )
        run = {**RUN, "run_id": parent.info.run_id, "run_date": run_date}
        report = notify.notify_warnings(config, client, run, notify.decide_warnings(config, client, experiment_id, run, rows, histories))
        client.set_terminated(parent.info.run_id)
        return {**report.to_json(), "run_id": parent.info.run_id}

    january = publish("2027-01-01T06:00:00+08:00", rows)
    march = publish("2027-03-01T06:00:00+08:00", on_time)
    assert [a["kind"] for a in january["alerts"]] == ["late"] and march["back_on_time"]
    messages = len(sent)
    february = publish("2027-02-01T06:00:00+08:00", rows)
    assert february["delivery"] == "superseded" and february["superseded_by"] == march["run_id"]
    assert february["alerts"] == [] and len(sent) == messages  # no stale "late" sent after March's news
    # April decides from March's state, and February's late publication did not get in the way
    april = warning_state.load_state(client, experiment_id, before_ms=tracking.start_time_ms("2027-04-01T06:00:00+08:00"))
    assert april == warning_state.load_state(client, experiment_id, exclude_run_id=february["run_id"])
    assert april["series"]["hunan.zhuzhou|co2_emissions|statistical"]["late"] is False
    # February, had it been published in its turn, would have read January's state
    before_february = warning_state.load_state(client, experiment_id, before_ms=tracking.start_time_ms("2027-02-01T06:00:00+08:00"))
    assert before_february["series"]["hunan.zhuzhou|co2_emissions|statistical"]["late"] is True
