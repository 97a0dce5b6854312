"""A small Chrome DevTools Protocol client: Debian's headless Chromium, driven over a WebSocket.

Enough for the report's test: open a page, wait until a script says it is ready, evaluate
JavaScript, collect console errors and uncaught exceptions, and take a full-page screenshot. It
starts the system's browser (`/usr/bin/chromium`, installed by `scripts/install-chromium.sh`)
and never downloads one.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import websocket

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
INSTALL_HINT = (
    "the report test needs Debian's Chromium at /usr/bin/chromium: run scripts/install-chromium.sh "
    "as root (it runs `apt-get update && apt-get install -y chromium fonts-nanum`)"
)
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--mute-audio",
    "--remote-debugging-port=0",
)
START_TIMEOUT_S = 20.0
CALL_TIMEOUT_S = 30.0


def find_chromium() -> str | None:
    """The path of the system's Chromium, or None."""
    env = os.environ.get("AIGRID_CHROMIUM")
    for candidate in (env, *CHROMIUM_CANDIDATES, shutil.which("chromium")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


class CdpError(RuntimeError):
    pass


class Connection:
    """The browser's WebSocket: numbered commands, and every event kept in arrival order."""

    def __init__(self, ws: websocket.WebSocket) -> None:
        self.ws = ws
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def call(self, session: str | None, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """Send one command and return its result; events that arrive meanwhile are kept."""
        self.next_id += 1
        msg_id = self.next_id
        msg: dict[str, Any] = {"id": msg_id, "method": method, "params": params}
        if session is not None:
            msg["sessionId"] = session
        self.ws.send(json.dumps(msg))
        deadline = time.monotonic() + CALL_TIMEOUT_S
        while time.monotonic() < deadline:
            reply = self.recv()
            if reply.get("id") == msg_id:
                if "error" in reply:
                    raise CdpError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result
        raise CdpError(f"{method}: no answer in {CALL_TIMEOUT_S:g} s")

    def recv(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.ws.recv())
        if "method" in data:
            self.events.append(data)
        return data


class Page:
    """One tab, attached with a flat session on the browser's connection."""

    def __init__(self, conn: Connection, session: str) -> None:
        self._conn = conn
        self._session = session

    @property
    def events(self) -> list[dict[str, Any]]:
        return [e for e in self._conn.events if e.get("sessionId") == self._session]

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        return self._conn.call(self._session, method, params)

    def wait_event(self, method: str, timeout_s: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for event in self.events:
                if event["method"] == method:
                    return event
            self._conn.recv()
        raise CdpError(f"no {method} in {timeout_s:g} s")

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise CdpError(f"evaluate: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_until(self, expression: str, timeout_s: float) -> Any:
        """Evaluate `expression` until it is truthy; return its last value either way."""
        deadline = time.monotonic() + timeout_s
        value = self.evaluate(expression)
        while not value and time.monotonic() < deadline:
            time.sleep(0.1)
            value = self.evaluate(expression)
        return value

    def console_errors(self) -> list[str]:
        """Console errors, failed assertions, uncaught exceptions and browser log errors."""
        errors: list[str] = []
        for e in self.events:
            p = e.get("params", {})
            if e["method"] == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                errors.append(
                    " ".join(str(a.get("value", a.get("description"))) for a in p["args"])
                )
            elif e["method"] == "Runtime.exceptionThrown":
                d = p["exceptionDetails"]
                errors.append(str(d.get("exception", {}).get("description", d.get("text"))))
            elif e["method"] == "Log.entryAdded" and p["entry"].get("level") == "error":
                errors.append(f"{p['entry'].get('url', '')}: {p['entry'].get('text')}")
        return errors

    def screenshot(self, path: Path, width: int) -> tuple[int, int]:
        """Save a PNG of the whole page, `width` CSS pixels wide; return its size."""
        metrics = self.call("Page.getLayoutMetrics")
        height = int(metrics["cssContentSize"]["height"])
        shot = self.call(
            "Page.captureScreenshot",
            format="png",
            captureBeyondViewport=True,
            clip={"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
        )
        path.write_bytes(base64.b64decode(shot["data"]))
        return width, height


def _devtools_url(profile: Path, proc: subprocess.Popen[bytes], log: Path) -> str:
    """The browser's WebSocket address, from the DevToolsActivePort file it writes on start."""
    port_file = profile / "DevToolsActivePort"
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise CdpError(f"chromium exited with {proc.returncode}: {log.read_text()[-2000:]}")
        if port_file.is_file():
            lines = port_file.read_text().split()
            if len(lines) >= 2:
                return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
        time.sleep(0.05)
    raise CdpError(f"chromium did not start in {START_TIMEOUT_S:g} s: {log.read_text()[-2000:]}")


@contextmanager
def open_page(
    executable: str, workdir: Path, url: str, *, width: int = 1280, height: int = 900
) -> Iterator[Page]:
    """Start a fresh headless Chromium (its own profile in `workdir`), open `url`, wait for its
    load event, and yield the page; the browser is stopped on exit."""
    profile = workdir / "profile"
    profile.mkdir(parents=True, exist_ok=True)
    log = workdir / "chromium.log"
    with log.open("wb") as log_file:
        proc = subprocess.Popen(
            [executable, *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"],
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=log_file,
        )
    ws: websocket.WebSocket | None = None
    try:
        ws = websocket.create_connection(
            _devtools_url(profile, proc, log), timeout=CALL_TIMEOUT_S, suppress_origin=True
        )
        conn = Connection(ws)
        target = conn.call(None, "Target.createTarget", {"url": "about:blank"})["targetId"]
        attached = conn.call(None, "Target.attachToTarget", {"targetId": target, "flatten": True})
        page = Page(conn, attached["sessionId"])
        for domain in ("Runtime", "Log", "Page"):
            page.call(f"{domain}.enable")
        page.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        page.call("Page.navigate", url=url)
        page.wait_event("Page.loadEventFired", CALL_TIMEOUT_S)
        yield page
    finally:
        if ws is not None:
            ws.close()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
