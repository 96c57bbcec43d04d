"""What a failing flow run shows on the console without ``--verbose``.

Prefect's flow- and task-run engines log a failing run's exception with its
full traceback (twice: once from the task, once from the flow), before the
CLI prints the same error as one paragraph. Without ``--verbose`` the console
keeps the engines' one-line messages and drops their tracebacks; the Prefect
API still gets them (its handler sits on the engine loggers and sees each
record before the console handler on the root logger does).
"""

import logging

ENGINE_LOGGERS = frozenset({"prefect.flow_runs", "prefect.task_runs"})


class DropEngineTracebacks(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        # exc_text alone: a traceback that peakwatch.redact rewrote without its credentials
        if record.name in ENGINE_LOGGERS and (record.exc_info or record.exc_text):
            record.exc_info = record.exc_text = None
        return True


def quiet_engine_tracebacks() -> None:
    """Add the filter to Prefect's console handler(s) on the root logger."""
    from prefect.logging.configuration import ensure_logging_setup
    from prefect.logging.handlers import PrefectConsoleHandler

    ensure_logging_setup()
    for handler in logging.getLogger().handlers:
        if isinstance(handler, PrefectConsoleHandler) and not any(
            isinstance(f, DropEngineTracebacks) for f in handler.filters
        ):
            handler.addFilter(DropEngineTracebacks())


def quiet_console_after_run() -> None:
    """Prefect's info lines at exit ("Stopping temporary server ...") stay off
    the terminal once the run's answer is printed; its warnings still show."""
    from prefect.logging.handlers import PrefectConsoleHandler

    for handler in logging.getLogger().handlers:
        if isinstance(handler, PrefectConsoleHandler):
            handler.setLevel(max(handler.level, logging.WARNING))
