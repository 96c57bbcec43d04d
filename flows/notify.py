"""The notify step: decide which warnings are new, deliver them, remember them.

Deciding comes before the run's child runs are logged, so that each affected
child run is created with its warning tags. Delivery goes through Prefect
notification blocks named in the config (a custom webhook by default), plus a
Prefect markdown artifact with the warnings table and MLflow tags on the
parent run. Nothing here may fail the forecast: every failure is retried
(deliveries), logged and reported in the run summary. Error reports name the
block and the HTTP status or error type only, never the exception text, which
can carry the webhook URL; errors of the step itself (often the tracking
store's) are logged and reported with every URL redacted.
"""

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from functools import cached_property

import httpx
from mlflow import MlflowClient
from mlflow.entities import RunTag
from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.blocks.abstract import NotificationBlock
from prefect.blocks.core import Block

from flows import early_warnings, tracking, warning_state
from flows.config import Config, NotifyConfig
from flows.early_warnings import Alert, Decision
from flows.redact import describe_exception, redacted_traceback

ARTIFACT_KEY = "peakwatch-warnings"


@dataclass(frozen=True)
class Delivery:
    block: str
    status: str  # sent | failed | missing
    attempts: int
    error: str | None = None


def describe_error(exc: BaseException) -> str:
    """What went wrong, without the request URL (it may hold a token)."""
    if isinstance(exc, httpx.HTTPStatusError):
        return f"HTTP {exc.response.status_code}"
    return type(exc).__name__


def send_with_retries(
    send: Callable[[], None], retries: int, delay_seconds: float, sleep: Callable[[float], None] = time.sleep
) -> tuple[int, str | None]:
    """Call ``send`` until it succeeds or ``retries`` extra attempts are used up.

    Returns (attempts, None) on success, (attempts, last error) otherwise.
    """
    error = None
    for attempt in range(1, retries + 2):
        try:
            send()
            return attempt, None
        except Exception as exc:
            error = describe_error(exc)
            if attempt <= retries:
                sleep(delay_seconds * attempt)
    return retries + 1, error


@task(name="deliver-warnings")
def deliver_to_block(block_ref: str, subject: str, body: str, settings: NotifyConfig) -> Delivery:
    """Send one message through one notification block ("<type-slug>/<name>")."""
    logger = get_run_logger()
    try:
        block = Block.load(block_ref)
    except ValueError:
        logger.warning(
            "notification block %r not found on the Prefect API; create it (see README) to receive warnings",
            block_ref,
        )
        return Delivery(block_ref, "missing", 0, "block not found")
    except Exception as exc:  # the Prefect API itself is unreachable or refuses
        logger.warning("could not load notification block %r: %s", block_ref, describe_error(exc))
        return Delivery(block_ref, "failed", 0, f"block not loaded: {describe_error(exc)}")
    if not isinstance(block, NotificationBlock):
        logger.warning("block %r is a %s, not a notification block", block_ref, type(block).__name__)
        return Delivery(block_ref, "failed", 0, f"not a notification block ({type(block).__name__})")
    attempts, error = send_with_retries(
        lambda: notify_or_raise(block, body, subject), settings.retries, settings.retry_delay_seconds
    )
    if error:
        logger.warning("delivery through %r failed after %d attempt(s): %s", block_ref, attempts, error)
        return Delivery(block_ref, "failed", attempts, error)
    logger.info("warnings delivered through %r (%d attempt(s))", block_ref, attempts)
    return Delivery(block_ref, "sent", attempts)


def notify_or_raise(block: NotificationBlock, body: str, subject: str) -> None:
    """``block.notify`` that raises when the message was not delivered. Prefect's
    Apprise-based blocks (Slack, Teams, Mattermost, e-mail, ...) only log a failed
    send unless asked to raise; the custom webhook block raises either way."""
    with block.raise_on_failure():
        block.notify(body, subject)


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
    lines = [a.describe() for a in decision.alerts]
    if owed:
        lines += ["", "Not delivered to this channel before:", *(f"{o['message']} (run of {o['run_date']})" for o in owed)]
    for title, refs in (
        ("Still late (announced before, not repeated):", decision.still_late),
        ("Back on time (late when last assessed):", decision.back_on_time),
    ):
        if refs:
            lines += ["", title, *(f"  {s['region_id']} {s['indicator']} [{s['scenario']}]" for s in refs)]
    lines += ["", f"MLflow run {run['run_id']} in experiment '{experiment}'"]
    return subject, "\n".join(lines)


def series_list(refs: tuple[dict, ...]) -> str:
    return ", ".join(f"`{s['region_id']}` {s['indicator']}" for s in refs)


def format_markdown(decision: Decision, deliveries: list[Delivery], day: str) -> str:
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
        return {"peakwatch.warning": alert.kind, "peakwatch.warning.message": alert.describe()[:5000]}


def decide_warnings(
    config: Config,
    client: MlflowClient,
    experiment_id: str,
    run: dict,
    rows: list[dict],
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
        started = tracking.start_time_ms(run["run_date"])
        newer = warning_state.newer_finished_parent(client, experiment_id, started)
        if newer is not None:
            get_run_logger().warning("run %s is older than run %s: its warnings are not sent", run["run_id"], newer)
            return Decided(None, {}, superseded_by=newer)
        state = warning_state.load_state(client, experiment_id, exclude_run_id=run["run_id"], before_ms=started)
        return Decided(early_warnings.decide_alerts(rows, histories, state, config.warnings, run), state)
    except Exception as exc:  # notification must never sink the forecast
        return Decided(None, {}, step_failed(get_run_logger(), "deciding the warnings", exc))


def notify_warnings(config: Config, client: MlflowClient, run: dict, decided: Decided) -> dict:
    """Deliver the decided warnings, remember them, tag the parent run. Returns
    the report for the run summary; never raises. Once a message has gone out,
    a later failure (saving the state, the tags, the artifact) is added to the
    report as ``error``: what was sent stays on record."""
    logger = get_run_logger()
    empty = {"alerts": [], "still_late": [], "back_on_time": [], "deliveries": []}
    if decided.superseded_by is not None:
        return {**empty, "delivery": "superseded", "superseded_by": decided.superseded_by}
    if decided.decision is None:
        return {**empty, "delivery": "error", "error": decided.error}
    decision = decided.decision
    try:
        day = config.schedule.run_day(run["run_date"])  # run_date is UTC; 06:00 on the 1st in Shanghai is not
        settings = config.warnings.notify
        # per block: this run's warnings and those it missed before (one failing block makes no other re-send)
        owed = {block: early_warnings.owed_to(block, decided.state, decision) for block in settings.blocks}
        deliveries = [
            deliver_to_block(block, *format_message(decision, run, config.run_series, day, owed[block]), settings)
            for block in settings.blocks
            if decision.alerts or owed[block]
        ]
    except Exception as exc:  # notification must never sink the forecast
        return {**empty, "delivery": "error", "error": step_failed(logger, "notify step", exc)}
    received = {block: True for block in settings.blocks} | {d.block: d.status == "sent" for d in deliveries}
    sent = sum(d.status == "sent" for d in deliveries)
    if not decision.alerts:
        status = "none"
    elif not deliveries:  # no block configured: the summary and artifact are the channel
        status = "recorded"
    else:
        status = "sent" if sent == len(deliveries) else "partial" if sent else "failed"
    delivered = status != "failed"  # some block has them: announced, and owed to the others
    if decision.alerts and not delivered:
        logger.warning("%d warning(s) not delivered; they will be announced again next run", len(decision.alerts))
    elif status == "partial":
        logger.warning("warnings not delivered through %s; sent there next run", [b for b, ok in received.items() if not ok])
    report = {**decision.as_dict(), "deliveries": [asdict(d) for d in deliveries], "delivery": status}
    errors = []
    try:
        owed_next = early_warnings.next_owed(decided.state, decision, received, run)
        warning_state.save_state(client, run["run_id"], early_warnings.next_state(decided.state, decision, delivered, run, owed_next))
    except Exception as exc:  # the next run reads an older state: it announces these warnings again
        error = step_failed(logger, "saving the warning state", exc)
        errors.append(f"warning state not saved, announced again next run: {error}")
    try:
        client.log_batch(
            run["run_id"],
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
    except Exception as exc:
        errors.append(f"tags or artifact not written: {step_failed(logger, 'recording the warnings', exc)}")
    return {**report, "error": "; ".join(errors)} if errors else report


def step_failed(logger: logging.Logger | logging.LoggerAdapter, what: str, exc: Exception) -> str:
    """Log a failed part of the step (URLs redacted: a store error quotes the
    tracking URI, password and all) and return its one-line description."""
    error = describe_exception(exc)
    logger.error("%s failed (%s); the forecast is unaffected\n%s", what, error, redacted_traceback(exc))
    return error
