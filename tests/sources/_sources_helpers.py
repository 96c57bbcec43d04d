"""Shared helpers for the source-adapter tests: fixtures built in tmp_path, a
local HTTP server on 127.0.0.1, and a fingerprint of an artifacts folder."""

import contextlib
import hashlib
import sqlite3
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import openpyxl
from pydantic import TypeAdapter

from peakwatch.config import SourceConfig, load_config
from peakwatch.store.runlock import LOCK_NAME

REGISTRY = load_config().regions
CSV_HEADER = "region_id,year,indicator,value,unit,source\n"


def make_source(**fields) -> SourceConfig:
    fields.setdefault("name", "test-source")
    fields.setdefault("kind", "tidy")
    return TypeAdapter(SourceConfig).validate_python(fields)


def tidy_csv(rows: list[tuple], header: str = CSV_HEADER) -> str:
    return header + "".join(",".join(str(v) for v in row) + "\n" for row in rows)


def yearly_rows(region: str, indicator: str, unit: str, start: float, years=range(2005, 2021), growth=1.03):
    return [(region, y, indicator, round(start * growth ** (y - years[0]), 4), unit, "test") for y in years]


def write_xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def _content_hash(path: Path) -> str:
    if path.suffix == ".db":  # a SQLite store: its rows (with what its write-ahead log holds), not its pages
        with contextlib.closing(sqlite3.connect(path)) as db:
            return hashlib.sha256("\n".join(db.iterdump()).encode()).hexdigest()
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fingerprint(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with its content hash: equal before and after = untouched.

    The run lock is left out: it records who holds it, not data. So are a SQLite
    store's -wal and -shm files: in WAL mode any reader rewrites the -shm index
    and a checkpoint moves pages from -wal to the .db; the .db's rows count. So is
    a failed run's console log under logs/ (what the libraries printed, named on
    the console for the user), which is not data either."""
    if not folder.exists():
        return {}
    return {
        str(p.relative_to(folder)): _content_hash(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != LOCK_NAME and not p.name.endswith((".db-wal", ".db-shm"))
        and p.relative_to(folder).parts[0] != "logs"
    }


class Route:
    def __init__(self, body: bytes, content_type: str = "text/csv", status: int = 200, delay: float = 0.0,
                 etag: str | None = None, truncate_to: int | None = None, fail_first: int = 0,
                 last_modified: str | None = None, headers: dict[str, str] | None = None):
        self.body, self.content_type, self.status, self.delay = body, content_type, status, delay
        self.etag, self.truncate_to, self.last_modified = etag, truncate_to, last_modified
        self.fail_first = fail_first  # answer this many requests with 503 first
        self.headers = headers or {}  # sent with every full response
        self.requests = 0
        self.full_responses = 0
        self.not_modified = 0


@contextlib.contextmanager
def serve(routes: dict[str, Route]):
    """A threaded HTTP server on 127.0.0.1 (random port) answering ``routes``; yields the base URL."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep test output quiet
            pass

        def do_GET(self):
            route = routes.get(self.path)
            if route is None:
                self.send_error(404)
                return
            route.requests += 1
            if route.delay:
                time.sleep(route.delay)
            if route.requests <= route.fail_first:
                self.send_error(503)
                return
            unchanged = (route.etag and self.headers.get("If-None-Match") == route.etag) or (
                route.last_modified and self.headers.get("If-Modified-Since") == route.last_modified
            )
            if unchanged:
                route.not_modified += 1
                self.send_response(304)
                self.end_headers()
                return
            route.full_responses += 1
            self.send_response(route.status)
            self.send_header("Content-Type", route.content_type)
            self.send_header("Content-Length", str(len(route.body)))
            if route.etag:
                self.send_header("ETag", route.etag)
            if route.last_modified:
                self.send_header("Last-Modified", route.last_modified)
            for name, value in route.headers.items():
                self.send_header(name, value)
            self.end_headers()
            body = route.body if route.truncate_to is None else route.body[: route.truncate_to]
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass
            if route.truncate_to is not None:
                self.close_connection = True

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
