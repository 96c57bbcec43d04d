"""Credentials out of URLs before a URL is printed, logged or stored.

A tracking URI or source URL can carry a secret: ``http://user:pw@host:5000``,
``postgresql://user:pw@db/mlflow``, ``https://host/data.csv?token=...``. What is
shown keeps the scheme, host, port, path and the query's parameter names; the
``user:password@`` part is dropped and the values of query parameters named like
a credential (token, key, secret, password, signature, auth, credential, session)
become ``***``. Only the code that connects sees the real URL.

(mlflow has the same userinfo rule in a private helper, ``mlflow.utils.git_utils.
_strip_credentials_from_url``; a private name is no API to build on.)

Text made by libraries (an MLflow or httpx error quoting the URL it called,
Prefect's log of a failed run with its traceback) is covered twice:
``install`` redacts every log record as it is made, whichever logger and
handler it goes to (the console, Prefect's API log table), and
``redacted_errors`` scrubs an exception leaving a flow or task before Prefect
turns it into a state message.
"""

import logging
import re
import traceback
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

MASK = "***"
_SECRET_NAME = re.compile(r"token|key|secret|pass|pwd|sig|auth|cred|session", re.IGNORECASE)
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s'\"<>]+")
_USERINFO = re.compile(r"//[^/?#@\s]*@")


def redact_url(url: str) -> str:
    """``url`` without userinfo and without the values of credential-like query parameters."""
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. a broken IPv6 host: still drop anything before an '@'
        return _USERINFO.sub("//", url)
    if not parts.netloc and not parts.query:
        return url  # sqlite:///path, a file path
    host = parts.netloc.rpartition("@")[2]
    query = "&".join(_redact_pair(pair) for pair in parts.query.split("&")) if parts.query else ""
    return urlunsplit((parts.scheme, host, parts.path, query, parts.fragment))


def _redact_pair(pair: str) -> str:
    name, sep, value = pair.partition("=")
    return f"{name}={MASK}" if sep and value and _SECRET_NAME.search(name) else pair


def redact_text(text: str) -> str:
    """Every URL inside ``text`` (an error message, a log line) passed through ``redact_url``."""
    def one(match: re.Match) -> str:
        url = match.group(0)
        body = url.rstrip(".,;:)]}")  # punctuation of the sentence, not of the URL
        return redact_url(body) + url[len(body):]

    return _URL_IN_TEXT.sub(one, text)


def describe_exception(exc: BaseException) -> str:
    """One line: the error type and the first line of its message (URLs redacted)."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {redact_text(text[0])[:200]}" if text else type(exc).__name__


def redacted_traceback(exc: BaseException) -> str:
    """The traceback of ``exc`` and its causes, for a log: every URL in it redacted
    (``logger.exception`` would log the store's URL, password and all)."""
    return redact_text("".join(traceback.format_exception(exc)))


def scrub_exception(exc: BaseException) -> BaseException:
    """``exc``, its causes and contexts with every URL in their arguments and
    text attributes redacted, in place (what ``str``, ``repr`` and a traceback
    of them show); returns ``exc``."""
    seen: set[int] = set()
    pending = [exc]
    while pending:
        error = pending.pop()
        if error is None or id(error) in seen:
            continue
        seen.add(id(error))
        try:
            error.args = tuple(redact_text(a) if isinstance(a, str) else a for a in error.args)
            for name, value in list(vars(error).items()):
                if isinstance(value, str):
                    setattr(error, name, redact_text(value))
        except (AttributeError, TypeError):  # a read-only attribute: the error as it is beats another one
            pass
        pending += [a for a in error.args if isinstance(a, BaseException)]
        pending += [error.__cause__, error.__context__, *getattr(error, "exceptions", ())]
    return exc


@contextmanager
def redacted_errors() -> Iterator[None]:
    """Around a flow's or task's body: an exception leaves it scrubbed
    (``scrub_exception``), so Prefect's state message, its logs and the
    console quote no credentials."""
    try:
        yield
    except BaseException as exc:
        scrub_exception(exc)
        raise


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """``record`` with every URL in its message and traceback redacted; left
    as it is (arguments and all) when there is nothing to redact."""
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: logging reports it when the record is emitted
        return record
    clean = redact_text(message)
    if clean != message:
        record.msg, record.args = clean, None
    if record.exc_info and record.exc_info[1] is not None:
        text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")  # as Formatter.formatException
        clean = redact_text(text)
        if clean != text:  # every formatter shows a record's exc_text when it has no exc_info
            record.exc_info, record.exc_text = None, clean
    return record


def install() -> None:
    """Redact every log record this process makes from now on, and every
    warning it prints. Idempotent."""
    factory = logging.getLogRecordFactory()
    if getattr(factory, "redacts", False):
        return

    def make_record(*args, **kwargs) -> logging.LogRecord:
        return redact_record(factory(*args, **kwargs))

    make_record.redacts = True
    logging.setLogRecordFactory(make_record)
    format_warning = warnings.formatwarning
    warnings.formatwarning = lambda *args, **kwargs: redact_text(format_warning(*args, **kwargs))
