"""Drive headless Chromium over the DevTools protocol on a pipe: no websocket, no library.

`--remote-debugging-pipe` makes Chromium read commands on fd 3 and write replies on fd 4,
each a JSON message ended by a NUL byte. That is enough to emulate a phone's screen (375 CSS
px, which `--window-size` cannot do: headless windows are at least 500 px wide), run a
measuring script in the page and take a full-page screenshot.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--remote-debugging-pipe"]
TIMEOUT = 60.0  # seconds for the page to load


class Browser:
    """One Chromium process, spoken to over its debugging pipe."""

    def __init__(self, chromium: str, profile: Path) -> None:
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def child() -> None:
            # Duplicates first, so neither end is already fd 3 or 4 (dup2 onto itself would
            # keep the close-on-exec flag that os.pipe sets).
            read, write = os.dup(to_chrome_r), os.dup(from_chrome_w)
            os.dup2(read, 3)
            os.dup2(write, 4)

        self.proc = subprocess.Popen(
            [chromium, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            preexec_fn=child, close_fds=False,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buffer = b""
        self._id = 0

    def send(self, method: str, session: str | None = None, **params: Any) -> Any:
        """Send one command and wait for its reply (events in between are dropped)."""
        self._id += 1
        message: dict[str, Any] = {"id": self._id, "method": method, "params": params}
        if session is not None:
            message["sessionId"] = session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def _read(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            chunk = os.read(self._from_chrome, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed its debugging pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return dict(json.loads(raw))

    def close(self) -> None:
        """Ask the browser to quit, and make sure it has."""
        try:
            self.send("Browser.close")
            self.proc.wait(timeout=30)
        except (RuntimeError, OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait(timeout=30)
        finally:
            os.close(self._to_chrome)
            os.close(self._from_chrome)


def measure(chromium: str, profile: Path, page: Path, width: int, height: int, script: str,
            png: Path) -> Any:
    """Open `page` on a screen `width` CSS px wide (a phone's below 600), run `script`
    (an expression returning JSON text) once it has loaded, and save a full-page PNG."""
    browser = Browser(chromium, profile)
    try:
        target = browser.send("Target.createTarget", url="about:blank")["targetId"]
        session = browser.send("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"]
        browser.send("Emulation.setDeviceMetricsOverride", session, width=width, height=height,
                     deviceScaleFactor=1, mobile=width < 600)
        browser.send("Page.navigate", session, url=page.resolve().as_uri())
        deadline = time.monotonic() + TIMEOUT
        while browser.send("Runtime.evaluate", session, expression="document.readyState",
                           returnByValue=True)["result"].get("value") != "complete":
            if time.monotonic() > deadline:
                raise RuntimeError(f"{page} did not load in {TIMEOUT:.0f} s")
            time.sleep(0.05)
        result = browser.send("Runtime.evaluate", session, expression=script,
                              returnByValue=True)["result"]
        shot = browser.send("Page.captureScreenshot", session, format="png",
                            captureBeyondViewport=True)
        png.write_bytes(base64.b64decode(shot["data"]))
        return json.loads(result["value"])
    finally:
        browser.close()
