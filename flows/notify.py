"""The notify step: decide which warnings are new, deliver them, remember them.

Deciding comes before the run's child runs are logged, so that each affected
child run is created with its warning tags. Delivery goes through Prefect
notification blocks named in the config (a custom webhook by default), plus a
Prefect markdown artifact with the warnings table and MLflow tags on the
parent run. Nothing here may fail the forecast: every failure is retried
(deliveries, by Prefect's task retries), logged and reported in the run
summary. Error reports name the block and the HTTP status or error type only,
never the exception text, which can carry the webhook URL; errors of the step
itself (often the tracking store's) are logged and reported with every URL
redacted.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property

import httpx
from mlflow import MlflowClient
from mlflow.entities import RunTag
from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.blocks.abstract import NotificationBlock
from prefect.blocks.core import Block
from prefect.cache_policies import NO_CACHE
from prefect.context import TaskRunContext

from peakwatch.config import Config
from peakwatch.config.warnings import NotifyConfig
from peakwatch.redact import describe_exception, redacted_traceback
from peakwatch.reporting.warnings import format_markdown, format_message
from peakwatch.results.early_warnings import Decision, decide_alerts, next_owed, next_state, owed_to
from peakwatch.results.notices import Alert, Delivery, EarlyWarnings
from peakwatch.results.series import SeriesRow
from peakwatch.tracking import warning_state
from peakwatch.tracking.layout import start_time_ms

ARTIFACT_KEY = "peakwatch-warnings"
# A delivery's status -> whether its block received the message (None: no such block, owed nothing).
RECEIVED = {"sent": True, "failed": False, "missing": None}


def describe_error(exc: BaseException) -> str:
    """What went wrong, without the request URL (it may hold a token)."""
    if isinstance(exc, httpx.HTTPStatusError):
        return f"HTTP {exc.response.status_code}"
    return type(exc).__name__


class DeliveryFailed(Exception):
    """A send that failed, described without its URL: Prefect logs and keeps each
    failed attempt's exception, and the original may quote the webhook's URL."""


@task(name="deliver-warnings", cache_policy=NO_CACHE)
def send_to_block(block_ref: str, subject: str, body: str) -> Delivery:
    """One attempt at sending one message through one notification block; a
    failed send raises ``DeliveryFailed`` for Prefect to retry (deliver_to_block)."""
    logger = get_run_logger()
    try:
        block = Block.load(block_ref)
    except ValueError:  # not configured: the summary says how to create it, nothing is owed to it
        logger.info("notification block %r not found on the Prefect API", block_ref)
        return Delivery(block_ref, "missing", 0, f"no such block on the Prefect API; {how_to_create(block_ref)}")
    except Exception as exc:  # the Prefect API itself is unreachable or refuses
        logger.warning("could not load notification block %r: %s", block_ref, describe_error(exc))
        return Delivery(block_ref, "failed", 0, f"block not loaded: {describe_error(exc)}")
    if not isinstance(block, NotificationBlock):
        logger.warning("block %r is a %s, not a notification block", block_ref, type(block).__name__)
        return Delivery(block_ref, "failed", 0, f"not a notification block ({type(block).__name__})")
    try:
        notify_or_raise(block, body, subject)
    except Exception as exc:
        raise DeliveryFailed(describe_error(exc)) from None  # no chained original: it may quote the URL
    attempts = TaskRunContext.get().task_run.run_count
    logger.info("warnings delivered through %r (%d attempt(s))", block_ref, attempts)
    return Delivery(block_ref, "sent", attempts)


def deliver_to_block(block_ref: str, subject: str, body: str, settings: NotifyConfig) -> Delivery:
    """Send one message through one notification block ("<type-slug>/<name>"),
    with Prefect's task retries (waits of d, 2d, 3d ... seconds). Never raises."""
    retries = settings.retries
    delays = [settings.retry_delay_seconds * n for n in range(1, min(retries, 50) + 1)]  # Prefect takes <= 50
    state = send_to_block.with_options(retries=retries, retry_delay_seconds=delays)(
        block_ref, subject, body, return_state=True
    )
    if state.is_completed():
        return state.result()
    exc = state.result(raise_on_failure=False)  # Prefect has logged it: "... Retries are exhausted"
    error = str(exc) if isinstance(exc, DeliveryFailed) else describe_error(exc)
    return Delivery(block_ref, "failed", retries + 1, error)


def how_to_create(block_ref: str) -> str:
    """The one command that creates a missing block."""
    slug, _, name = block_ref.partition("/")
    if slug == "custom-webhook":
        return f"create it with `peakwatch add-webhook --name {name}`"
    return f"create it with `prefect block create {slug}` (a link to the Prefect UI's form), named {name!r}"


def save_webhook_block(name: str, url: str) -> str:
    """Save a custom webhook block posting {"text": "<subject>\n<body>"} to
    ``url``; the URL (tokens and all) is kept in the block's secrets, shown
    nowhere. Returns the block's reference for ``warnings.notify.blocks``."""
    from prefect.blocks.notifications import CustomWebhookNotificationBlock

    CustomWebhookNotificationBlock(
        name="peakwatch", url="{{url}}", json_data={"text": "{{subject}}\n{{body}}"}, secrets={"url": url}
    ).save(name, overwrite=True)
    return f"custom-webhook/{name}"


def notify_or_raise(block: NotificationBlock, body: str, subject: str) -> None:
    """``block.notify`` that raises when the message was not delivered. Prefect's
    Apprise-based blocks (Slack, Teams, Mattermost, e-mail, ...) only log a failed
    send unless asked to raise; the custom webhook block raises either way."""
    with block.raise_on_failure():
        block.notify(body, subject)


@dataclass(frozen=True)
class Decided:
    """What ``decide_warnings`` found: the decision and the saved state it
    started from, or why it failed."""

    decision: Decision | None
    state: dict
    error: str | None = None
    # A finished parent run newer than this one: this run's warnings would be stale.
    superseded_by: str | None = None

    @cached_property
    def _alerts_by_series(self) -> dict[tuple[str, str, str], Alert]:
        alerts = self.decision.alerts if self.decision else ()
        return {(a.region_id, a.indicator, a.scenario): a for a in alerts}

    def child_tags(self, key: tuple[str, str, str]) -> dict[str, str]:
        """The warning tags of the series' child run, written when the run is
        created: a store call per alert afterwards took ~50 s of a 10 000-series
        run with 9 120 alerts."""
        alert = self._alerts_by_series.get(key)
        if alert is None:
            return {}
        return {"peakwatch.warning": alert.kind, "peakwatch.warning.message": alert.message[:5000]}


def decide_warnings(
    config: Config,
    client: MlflowClient,
    experiment_id: str,
    run: dict,
    rows: Sequence[SeriesRow],
    histories: dict[tuple[str, str], Sequence[float]],
) -> Decided:
    """Which warnings this run announces, before its child runs are logged (they
    carry the warning tags). ``run`` holds run_id, run_date, config_hash and
    code_version; ``histories`` maps (region_id, indicator) to the input values
    the forecast was fitted on. Never raises."""
    try:
        # A run published after a newer one (a pending run synced late) neither
        # decides from that newer state nor sends: its news is older than
        # what was announced since.
        started = start_time_ms(run["run_date"])
        newer = warning_state.newer_finished_parent(client, experiment_id, started)
        if newer is not None:
            get_run_logger().warning("run %s is older than run %s: its warnings are not sent", run["run_id"], newer)
            return Decided(None, {}, superseded_by=newer)
        state = warning_state.load_state(client, experiment_id, exclude_run_id=run["run_id"], before_ms=started)
        return Decided(decide_alerts(rows, histories, state, config.warnings.rule_for, run), state)
    except Exception as exc:  # notification must never sink the forecast
        return Decided(None, {}, step_failed(get_run_logger(), "deciding the warnings", exc))


def notify_warnings(config: Config, client: MlflowClient, run: dict, decided: Decided) -> EarlyWarnings:
    """Deliver the decided warnings, remember them, tag the parent run. Returns
    the report for the run summary; never raises. Once a message has gone out,
    a later failure (saving the state, the tags, the artifact) is added to the
    report as ``error``: what was sent stays on record."""
    logger = get_run_logger()
    if decided.superseded_by is not None:
        return EarlyWarnings(delivery="superseded", superseded_by=decided.superseded_by)
    if decided.decision is None:
        return EarlyWarnings(delivery="error", error=decided.error)
    decision = decided.decision
    try:
        day = config.schedule.run_day(run["run_date"])  # run_date is UTC; 06:00 on the 1st in Shanghai is not
        settings = config.warnings.notify
        # per block: this run's warnings and those it missed before (one failing block makes no other re-send)
        owed = {block: owed_to(block, decided.state, decision) for block in settings.blocks}
        deliveries = [
            deliver_to_block(block, *format_message(decision, run, config.run_series, day, owed[block]), settings)
            for block in settings.blocks
            if decision.alerts or owed[block]
        ]
    except Exception as exc:  # notification must never sink the forecast
        return EarlyWarnings(delivery="error", error=step_failed(logger, "notify step", exc))
    # True: got its message (or had nothing to get); False: failed, owed it; None: no such block
    received = {block: True for block in settings.blocks} | {d.block: RECEIVED[d.status] for d in deliveries}
    status = delivery_status(decision, deliveries)
    failing = [block for block, got in received.items() if got is False]
    if failing:
        logger.warning("warnings not delivered through %s; sent there next run", failing)
    report = EarlyWarnings(decision.alerts, decision.still_late, decision.back_on_time, tuple(deliveries), status)
    errors = []
    try:
        owed_next = next_owed(decided.state, decision, received, run)
        warning_state.save_state(client, run["run_id"], next_state(decided.state, decision, run, owed_next))
    except Exception as exc:  # the next run reads an older state: it announces these warnings again
        error = step_failed(logger, "saving the warning state", exc)
        errors.append(f"warning state not saved, announced again next run: {error}")
    try:
        record_warnings(client, run["run_id"], decision, deliveries, status, day)
    except Exception as exc:
        errors.append(f"tags or artifact not written: {step_failed(logger, 'recording the warnings', exc)}")
    return replace(report, error="; ".join(errors)) if errors else report


def delivery_status(decision: Decision, deliveries: Sequence[Delivery]) -> str:
    """none (nothing new); not configured (no block, or none of them exists:
    the summary and artifact are the channel); sent; partial (some blocks
    failed); failed (every existing block did). The warnings are announced in
    every case: a block that failed is sent them next run."""
    if not decision.alerts:
        return "none"
    tried = [d for d in deliveries if d.status != "missing"]
    if not tried:
        return "not configured"
    sent = sum(d.status == "sent" for d in tried)
    return "sent" if sent == len(tried) else "partial" if sent else "failed"


def record_warnings(
    client: MlflowClient, run_id: str, decision: Decision, deliveries: list[Delivery], status: str, day: str
) -> None:
    """The warning counts as tags of the parent run, and the Prefect markdown artifact."""
    client.log_batch(
        run_id,
        tags=[
            RunTag("peakwatch.warnings.announced", str(len(decision.alerts))),
            RunTag("peakwatch.warnings.still_late", str(len(decision.still_late))),
            RunTag("peakwatch.warnings.delivery", status),
        ],
    )
    create_markdown_artifact(
        markdown=format_markdown(decision, deliveries, day),
        key=ARTIFACT_KEY,
        description=f"{len(decision.alerts)} new early warning(s), {len(decision.still_late)} still late",
    )


def step_failed(logger: logging.Logger | logging.LoggerAdapter, what: str, exc: Exception) -> str:
    """Log a failed part of the step (URLs redacted: a store error quotes the
    tracking URI, password and all) and return its one-line description."""
    error = describe_exception(exc)
    logger.error("%s failed (%s); the forecast is unaffected\n%s", what, error, redacted_traceback(exc))
    return error
