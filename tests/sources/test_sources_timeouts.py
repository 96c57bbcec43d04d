"""``timeout_seconds`` bounds a URL source's whole download, and its message
says what happened: which source, how long, how many bytes arrived.

Against a real local server that trickles: with ``timeout_seconds: 5``, a
server sending the header and then a byte every 2 s held a run (and the
artifacts lock) for 4 min 50 s without a word, since httpx's timeouts bound
each read; one sending a byte every 5 s was stopped after 50 s with "no
response within 5 s", though bytes had arrived.
"""

import contextlib
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from peakwatch.store.catalog import Catalog
from peakwatch.sources import TransientFetchError
from peakwatch.sources.fetch import fetch_into
from tests.sources._sources_helpers import make_source

SIZE = 1000  # the Content-Length announced
GIVE_UP = 20.0  # the server's own limit: an unbounded client is then found out, not hung


class Trickle(BaseHTTPRequestHandler):
    """/trickle: a byte every 0.4 s. /stall: 10 bytes, then nothing for 6 s.
    /silent: connected, no answer for 6 s."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path == "/silent.csv":
            time.sleep(6)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(SIZE))
        self.end_headers()
        started = time.monotonic()
        with contextlib.suppress(OSError):  # the client hung up
            if self.path == "/stall.csv":
                self.wfile.write(b"region_id,")
                self.wfile.flush()
                time.sleep(6)
                return
            while time.monotonic() - started < GIVE_UP:
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.4)


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Trickle)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def fetch(tmp_path, url: str, timeout: float) -> tuple[str, float]:
    source = make_source(name="slow-web", url=url, timeout_seconds=timeout)
    started = time.monotonic()
    with pytest.raises(TransientFetchError) as err:
        fetch_into(source, Catalog(tmp_path / "artifacts"), tmp_path / "got")
    return str(err.value), time.monotonic() - started


def test_a_trickling_server_is_cut_off_at_the_timeout(server, tmp_path):
    message, took = fetch(tmp_path, f"{server}/trickle.csv", 2)
    assert took < 3.0, f"held for {took:.1f} s: {message}"
    assert f"source 'slow-web' ({server}/trickle.csv)" in message and "after 2 s" in message
    arrived = int(message.split("then sent ")[1].split(" bytes")[0])
    assert 2 <= arrived <= 8 and f"of {SIZE}" in message, message


def test_the_message_says_bytes_arrived_when_the_server_stalls(server, tmp_path):
    message, took = fetch(tmp_path, f"{server}/stall.csv", 1.5)
    assert took < 2.5
    assert "no response" not in message
    assert "after 1.5 s (timeout_seconds): the server answered, then sent 10 bytes of 1000" in message


def test_a_server_that_never_answers(server, tmp_path):
    message, took = fetch(tmp_path, f"{server}/silent.csv", 1)
    assert took < 2.0
    assert f"source 'slow-web' ({server}/silent.csv): no response within 1 s (timeout_seconds); 0 bytes arrived" == message
