"""Per-block delivery state: a block that failed gets the warning next run; the
blocks that had it do not get it again; a warning is announced as new once,
whatever its delivery; a block that does not exist reads `not configured`."""

import logging

import pytest
from mlflow import MlflowClient

from flows import notify
from peakwatch.config import DEFAULT_CONFIG, load_config
from peakwatch.results.notices import Delivery
from peakwatch.results.series import SeriesRow
from peakwatch.tracking import layout as tracking

A, B = "custom-webhook/team-a", "custom-webhook/team-b"
LATE = {"region_id": "hunan.zhuzhou", "name_en": "Zhuzhou", "indicator": "co2_emissions", "target_year": 2030,
        "p_peak_by_target": 0.2, "peak_year_median": 2041.0, "model": "ets", "first_year": 2020,
        "last_observed_year": 2023, "error": None}
ON_TIME = {**LATE, "p_peak_by_target": 0.9, "peak_year_median": 2025.0}
HISTORIES = {("hunan.zhuzhou", "co2_emissions"): (1.0, 2.0, 3.0, 4.0)}


@pytest.fixture
def monthly(tmp_path, monkeypatch):
    """``publish(month, rows, failing=set())`` decides, delivers and finishes one
    month's parent run; returns (report, {block: [message bodies]})."""
    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    experiment_id = client.create_experiment("blocks", artifact_location=(tmp_path / "mlruns").as_uri())
    config = load_config(DEFAULT_CONFIG)
    warnings = config.warnings
    config = config.model_copy(update={"warnings": warnings.model_copy(
        update={"notify": warnings.notify.model_copy(update={"blocks": (A, B)})})})
    monkeypatch.setattr(notify, "get_run_logger", lambda: logging.getLogger("test-notify-blocks"))
    monkeypatch.setattr(notify, "create_markdown_artifact", lambda **_: None)

    def publish(month: int, rows: list[dict], failing: frozenset[str] = frozenset(), missing: frozenset[str] = frozenset()):
        received = {A: [], B: []}

        def deliver(block, subject, body, settings):
            if block in missing:  # what deliver_to_block reports when Block.load finds no such block
                return Delivery(block, "missing", 0, f"no such block on the Prefect API; {notify.how_to_create(block)}")
            if block in failing:
                return Delivery(block, "failed", 3, "HTTP 500")
            received[block].append(body)
            return Delivery(block, "sent", 1)

        monkeypatch.setattr(notify, "deliver_to_block", deliver)
        run_date = f"2027-{month:02d}-01T06:00:00+08:00"
        parent = client.create_run(experiment_id, tags={"peakwatch.kind": "parent"}, start_time=tracking.start_time_ms(run_date))
        run = {"run_id": parent.info.run_id, "run_date": run_date, "config_hash": "c", "code_version": "v"}
        decided = notify.decide_warnings(config, client, experiment_id, run, [SeriesRow.from_json(r) for r in rows], HISTORIES)
        report = notify.notify_warnings(config, client, run, decided)
        client.set_terminated(parent.info.run_id)
        return report, received

    return publish


def test_a_failed_block_gets_the_warning_next_run_and_the_others_do_not_get_it_again(monthly):
    january, got = monthly(1, [LATE], failing=frozenset({B}))
    assert (january.delivery, [a.kind for a in january.alerts]) == ("partial", ["late"])
    assert len(got[A]) == 1 and got[B] == []

    february, got = monthly(2, [LATE])
    assert february.alerts == () and february.delivery == "none"  # announced in January
    assert got[A] == []  # no second copy for the block that had it
    [message] = got[B]
    lines = message.splitlines()
    owed = lines[lines.index("Not delivered to this channel before:") + 1]
    assert owed.startswith("LATE    Zhuzhou (hunan.zhuzhou) co2_emissions [statistical]: late for its 2030 target")
    assert owed.endswith("(run of 2027-01-01T06:00:00+08:00)")

    march, got = monthly(3, [LATE])
    assert got == {A: [], B: []} and march.deliveries == ()


def test_a_warning_no_block_received_is_not_new_again_but_sent_to_each_block_next_run(monthly):
    january, got = monthly(1, [LATE], failing=frozenset({A, B}))
    assert january.delivery == "failed" and got == {A: [], B: []}
    february, got = monthly(2, [LATE])
    assert february.alerts == () and february.delivery == "none"  # announced in January, not new again
    assert [len(got[A]), len(got[B])] == [1, 1]
    assert all("Not delivered to this channel before:" in got[block][0] for block in (A, B))
    march, got = monthly(3, [LATE])
    assert march.alerts == () and got == {A: [], B: []}


def test_without_any_existing_block_delivery_is_not_configured_and_the_second_run_has_nothing_new(monthly):
    """The default config names a block nobody created: not `failed`, the
    command that creates it named, and the same warning not new again."""
    january, got = monthly(1, [LATE], missing=frozenset({A, B}))
    assert january.delivery == "not configured" and [a.kind for a in january.alerts] == ["late"]
    assert [d.status for d in january.deliveries] == ["missing", "missing"]
    assert "create it with `peakwatch add-webhook --name team-a`" in january.deliveries[0].error
    february, got = monthly(2, [LATE], missing=frozenset({A, B}))
    assert february.alerts == () and february.delivery == "none" and february.deliveries == ()
    assert [s.region_id for s in february.still_late] == ["hunan.zhuzhou"]
    # created later: it gets new warnings, not the backlog of the months it did not exist
    _, got = monthly(3, [LATE])
    assert got == {A: [], B: []}


def test_a_missing_block_beside_a_working_one_is_sent(monthly):
    january, got = monthly(1, [LATE], missing=frozenset({B}))
    assert january.delivery == "sent" and len(got[A]) == 1
    _, got = monthly(2, [LATE])
    assert got == {A: [], B: []}


def test_an_owed_warning_is_dropped_when_the_series_is_back_on_time(monthly):
    monthly(1, [LATE], failing=frozenset({B}))
    february, got = monthly(2, [ON_TIME])
    assert got == {A: [], B: []} and february.back_on_time


def test_a_block_still_failing_stays_owed(monthly):
    monthly(1, [LATE], failing=frozenset({B}))
    _, got = monthly(2, [LATE], failing=frozenset({B}))
    assert got == {A: [], B: []}
    _, got = monthly(3, [LATE])
    assert got[A] == [] and len(got[B]) == 1 and "Not delivered to this channel before:" in got[B][0]
