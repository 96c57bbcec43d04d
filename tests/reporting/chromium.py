"""Open a page in headless Chromium over the DevTools protocol: console errors,
a value computed in the page, and a screenshot.

Debian's ``chromium`` package (``.ci/run`` installs it); no network: the
browser runs with background networking off and the page is a local file.
"""

import base64
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from websockets.sync.client import connect

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-port=0",
)
START_TIMEOUT_S = 60
LOAD_TIMEOUT_S = 60


@dataclass
class PageVisit:
    console_errors: list[str] = field(default_factory=list)
    value: object = None
    screenshot: bytes = b""


def find_chromium() -> str:
    """The chromium binary, or an AssertionError saying how to install it (never a skip)."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    raise AssertionError(
        "chromium is not installed: the report test needs Debian's chromium package "
        "(apt-get install -y chromium; .ci/run installs it where missing)"
    )


def _wait_for_port(profile: Path, process: subprocess.Popen) -> int:
    deadline = time.monotonic() + START_TIMEOUT_S
    port_file = profile / "DevToolsActivePort"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"chromium exited with {process.returncode}: {process.stderr.read().decode()[-2000:]}")
        if port_file.exists() and port_file.read_text().strip():
            return int(port_file.read_text().split()[0])
        time.sleep(0.1)
    raise AssertionError(f"chromium did not open its DevTools port within {START_TIMEOUT_S}s")


class _Session:
    """Commands and events on one page's DevTools websocket."""

    def __init__(self, ws):
        self.ws, self.next_id, self.events = ws, 0, []

    def send(self, method: str, **params) -> dict:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv(timeout=LOAD_TIMEOUT_S))
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise AssertionError(f"DevTools {method} failed: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_for(self, method: str) -> None:
        if any(e.get("method") == method for e in self.events):
            return
        deadline = time.monotonic() + LOAD_TIMEOUT_S
        while time.monotonic() < deadline:
            message = json.loads(self.ws.recv(timeout=LOAD_TIMEOUT_S))
            self.events.append(message)
            if message.get("method") == method:
                return
        raise AssertionError(f"no {method} within {LOAD_TIMEOUT_S}s")

    def console_errors(self) -> list[str]:
        errors = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                errors.append(params["exceptionDetails"].get("text", "exception"))
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                errors.append(" ".join(str(a.get("value", a.get("description"))) for a in params.get("args", [])))
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                errors.append(params["entry"].get("text", ""))
        return errors


def visit_page(url: str, expression: str = "null", width: int = 1280, height: int = 900, settle_s: float = 0.0) -> PageVisit:
    """Load ``url``, evaluate ``expression`` (JSON-able result) after the load
    event (and ``settle_s`` more seconds, for pages that render with script),
    and take a screenshot of the first ``width`` x ``height`` pixels."""
    binary = find_chromium()
    # Chromium's helper processes may still write to the profile while they exit.
    with tempfile.TemporaryDirectory(prefix="peakwatch-chromium-", ignore_cleanup_errors=True) as profile:
        process = subprocess.Popen(
            [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group: stopped together below
        )
        try:
            port = _wait_for_port(Path(profile), process)
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as response:
                targets = json.load(response)
            page = next(t for t in targets if t["type"] == "page")
            with connect(page["webSocketDebuggerUrl"], max_size=None, open_timeout=10) as ws:
                session = _Session(ws)
                for domain in ("Runtime", "Log", "Page"):
                    session.send(f"{domain}.enable")
                session.send("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)
                session.send("Page.navigate", url=url)
                session.wait_for("Page.loadEventFired")
                time.sleep(settle_s)
                result = session.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
                shot = session.send("Page.captureScreenshot", format="png")
                return PageVisit(
                    console_errors=session.console_errors(),
                    value=result.get("result", {}).get("value"),
                    screenshot=base64.b64decode(shot["data"]),
                )
        finally:
            _stop(process)


def _stop(process: subprocess.Popen) -> None:
    """End the browser and its helpers (the process group this module started)."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
