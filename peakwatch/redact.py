"""Credentials out of URLs before a URL is printed, logged or stored.

A tracking URI or source URL can carry a secret: ``http://user:pw@host:5000``,
``postgresql://user:pw@db/mlflow``, ``https://host/data.csv?token=...``. What is
shown keeps the scheme, host, port, path and the query's parameter names; the
``user:password@`` part is dropped and the values of query parameters named like
a credential (token, key, secret, password, signature, auth, credential, session)
become ``***``. Only the code that connects sees the real URL.

(mlflow has the same userinfo rule in a private helper, ``mlflow.utils.git_utils.
_strip_credentials_from_url``; a private name is no API to build on.)
"""

import re
import traceback
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
