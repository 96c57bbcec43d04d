"""A source's bytes, from a file or an http(s) URL, written to a file.

The bytes go from the source to ``path`` a piece at a time (a local file is
copied, a download streamed), never held whole: at 30 000 series a local
file read whole was a 124 MB transient of the pull.

URLs: ``timeout_seconds`` bounds the whole download; transient failures raise ``TransientFetchError``
so the caller (a Prefect task with retries) can retry them with backoff; the
ETag / Last-Modified of the last download are sent back so an unchanged file
is answered with 304 and copied from its snapshot instead of downloaded again.
"""

import asyncio
import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import httpx

from peakwatch.redact import redact_text
from peakwatch.sources.errors import SourceError, TransientFetchError
from peakwatch.store.catalog import Catalog


@dataclass(frozen=True)
class Fetched:
    path: Path  # where the bytes are
    how: str  # "file" | "downloaded" | "not-modified" | "snapshot"
    validators: dict | None = None  # {"etag", "last_modified"} to remember for next time


def load_http_cache(catalog: Catalog) -> dict:
    try:
        return json.loads(catalog.http_cache.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def http_cache_key(source) -> str:
    """A URL source's entry in http-cache.json: its URL without credentials (the
    cache is an artifact; a token must not land in it)."""
    return source.location


def fetch_into(source, catalog: Catalog, path: Path) -> Fetched:
    """The source's bytes, written to ``path`` (replaced if it exists)."""
    where = f"source '{source.name}' ({source.location})"
    if source.url is None:
        try:
            file = source.path.open("rb")
        except FileNotFoundError:
            raise SourceError(f"{where}: file not found") from None
        except OSError as exc:
            raise SourceError(f"{where}: cannot read: {exc}") from None
        copy_to_scratch(file, path, where)
        return Fetched(path, "file")
    return _fetch_url(source, catalog, where, path)


def copy_to_scratch(file: BinaryIO, path: Path, where: str) -> None:
    """Copy the open binary ``file`` (closed after) to the scratch copy ``path``
    a piece at a time: a local file, a snapshot answering a 304, a pinned one."""
    with file, _scratch_copy(path, where) as copy:
        shutil.copyfileobj(file, copy)


@contextmanager
def _scratch_copy(path: Path, where: str) -> Iterator[BinaryIO]:
    """``path`` open for writing; a failure to write it (a full disk) is named
    as the scratch copy's, not blamed on the source."""
    try:
        with path.open("wb") as copy:
            yield copy
    except OSError as exc:
        raise SourceError(f"{where}: cannot write its scratch copy {path}: {exc}") from None


def _fetch_url(source, catalog: Catalog, where: str, path: Path) -> Fetched:
    cached = load_http_cache(catalog).get(http_cache_key(source))
    cached_path = catalog.raw_dir / cached["file"] if cached else None
    headers = {}
    if cached and cached_path.exists():
        if cached.get("etag"):
            headers["If-None-Match"] = cached["etag"]
        if cached.get("last_modified"):
            headers["If-Modified-Since"] = cached["last_modified"]
    progress = _Progress()
    try:
        # httpx's timeouts bound each read, not a download: a server sending a
        # byte every 2 s held a run with timeout_seconds 5 for minutes. The
        # whole request, answer and body runs under one deadline instead.
        return asyncio.run(_download(source, headers, path, where, cached_path, cached, progress))
    except (TimeoutError, httpx.TimeoutException):
        raise TransientFetchError(progress.timed_out(where, source.timeout_seconds)) from None
    except httpx.TransportError as exc:
        raise TransientFetchError(f"{where}: download failed: {type(exc).__name__}: {redact_text(str(exc))}") from None
    except httpx.HTTPError as exc:  # a redirect loop, a body that does not decode: asking again will not help
        raise SourceError(f"{where}: download failed: {type(exc).__name__}: {redact_text(str(exc))}") from None


@dataclass
class _Progress:
    """How far a download got: what its timeout message says."""

    answered: bool = False  # the status line and headers arrived
    received: int = 0  # bytes of the body
    expected: int | None = None  # Content-Length, when sent

    def timed_out(self, where: str, seconds: float) -> str:
        if not self.answered:
            return f"{where}: no response within {seconds:g} s (timeout_seconds); 0 bytes arrived"
        of = f" of {self.expected}" if self.expected is not None else ""
        return (
            f"{where}: download stopped after {seconds:g} s (timeout_seconds): the server answered, "
            f"then sent {self.received} bytes{of}"
        )


async def _download(source, headers: dict, path: Path, where: str, cached_path, cached, progress: _Progress) -> Fetched:
    async with asyncio.timeout(source.timeout_seconds):
        async with httpx.AsyncClient(timeout=source.timeout_seconds, follow_redirects=True) as client:
            async with client.stream("GET", source.url, headers=headers) as response:
                progress.answered = True
                length = response.headers.get("content-length", "")
                progress.expected = int(length) if length.isdigit() else None
                if response.status_code == 304 and headers:
                    return _copy_not_modified(cached_path, path, where, response, cached)
                await _check_status(response, source, where)
                with _scratch_copy(path, where) as copy:
                    async for piece in response.aiter_bytes():
                        copy.write(piece)
                        progress.received += len(piece)
    return Fetched(path, "downloaded", _validators(response, None))


def _copy_not_modified(cached_path: Path, path: Path, where: str, response: httpx.Response, cached: dict) -> Fetched:
    """The snapshot of an unchanged URL copied to ``path``. A snapshot gone since
    the request was sent is a transient error: the retry, finding none, asks
    for the whole file."""
    try:
        snapshot = cached_path.open("rb")
    except FileNotFoundError:
        raise TransientFetchError(
            f"{where}: the server answered 'not modified', but its snapshot {cached_path} is gone; "
            "a retry downloads the whole file"
        ) from None
    copy_to_scratch(snapshot, path, where)
    return Fetched(path, "not-modified", _validators(response, cached))


async def _check_status(response: httpx.Response, source, where: str) -> None:
    """Raise for an answer that is not the file: an HTTP error, or an HTML page
    where a CSV was expected (its first bytes quoted)."""
    if response.status_code >= 500:
        raise TransientFetchError(f"{where}: HTTP {response.status_code} {response.reason_phrase}")
    if response.status_code >= 400:
        raise SourceError(f"{where}: HTTP {response.status_code} {response.reason_phrase}")
    if "text/html" in response.headers.get("content-type", "") and source.file_format == "csv":
        head = b""
        async for piece in response.aiter_bytes(80):
            head = piece[:80]
            break
        head = head.decode("utf-8", errors="replace")
        raise SourceError(f"{where}: the server sent an HTML page (Content-Type text/html), not CSV: {head!r}")


def _validators(response: httpx.Response, cached: dict | None) -> dict:
    previous = cached or {}
    return {
        "etag": response.headers.get("etag") or previous.get("etag"),
        "last_modified": response.headers.get("last-modified") or previous.get("last_modified"),
    }
