"""Real servers on loopback for the tests and the benchmark: `policyc serve` and `redis-server`.

`Spawner` is a process that has imported the service once and forks a fresh
`policyc serve` on demand, so a test that SIGKILLs the service twenty times
pays Python's start-up once, not twenty times; each fork is a whole serving
process (uvicorn, the store, the log replay), killed like any other.
`RedisServer` runs Debian's `redis-server` on a free 127.0.0.1 port with
`appendonly yes` in a temporary folder and stops it afterwards. `call` is a
small HTTP client (the standard library's), returning status, headers, body.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A TCP port nobody listens on now (the kernel's pick)."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def call(port: int, method: str, path: str, body: bytes | str | None = None,
         headers: dict[str, str] | None = None,
         timeout: float = 10.0) -> tuple[int, dict[str, str], Any]:
    """One request to 127.0.0.1:port; a JSON body comes back parsed, else as text."""
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=timeout)
    try:
        data = body.encode() if isinstance(body, str) else body
        conn.request(method, path, body=data, headers=headers or {})
        response = conn.getresponse()
        raw = response.read()
        head = {k.lower(): v for k, v in response.getheaders()}
    finally:
        conn.close()
    text = raw.decode("utf-8", "replace")
    parsed: Any = json.loads(text) if head.get("content-type", "").startswith(
        "application/json") else text
    return response.status, head, parsed


def wait_ready(port: int, pid: int | None = None, timeout: float = 30.0) -> None:
    """Until GET /ready answers 200 (RuntimeError past `timeout` or if `pid` died)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pid is not None and not _alive(pid):
            raise RuntimeError(f"policyc serve (pid {pid}) exited before it was ready")
        try:
            if call(port, "GET", "/ready", timeout=2)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.02)
    raise RuntimeError(f"policyc serve on port {port} was not ready in {timeout} s")


_SPAWNER = """
import os, sys
import policyc.cli, policyc.serve.routes, uvicorn, redis  # imported once, shared by forks
import policyc.serve.stores.sqlite, policyc.serve.stores.redis
policyc.cli.build_parser(["serve"])  # imports the serve command's module
for line in sys.stdin:
    args = line.rstrip("\\n").split("\\0")
    pid = os.fork()
    if pid == 0:
        log = os.open(args[0], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.dup2(log, 1); os.dup2(log, 2)
        os.chdir(args[1])
        os._exit(policyc.cli.main(args[2:]))
    print(pid, flush=True)
    while True:  # reap the children that were killed
        try:
            done, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if done == 0:
            break
"""


class Spawner:
    """Forks `policyc serve` processes from one that imported everything already."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", _SPAWNER], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        self.children: set[int] = set()

    def serve(self, args: list[str], log: Path, cwd: Path | None = None) -> int:
        """Start `policyc serve ARGS` in `cwd` (default: ours), output appended to `log`;
        its pid."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        where = str(cwd or Path.cwd())
        self.proc.stdin.write("\0".join([str(log), where, "serve", *args]) + "\n")
        self.proc.stdin.flush()
        pid = int(self.proc.stdout.readline())
        self.children.add(pid)
        return pid

    def kill(self, pid: int) -> None:
        """SIGKILL one served process."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        self.children.discard(pid)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.01)

    def close(self) -> None:
        """Kill what is still running, then the spawner itself."""
        for pid in list(self.children):
            self.kill(pid)
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=10)


def _alive(pid: int) -> bool:
    """The process still exists and is not a zombie (its parent, the spawner, reaps late)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


class RedisServer:
    """Debian's redis-server on a free loopback port, in its own temporary folder."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (Debian package redis-server)")
        self.folder = tempfile.mkdtemp(prefix="policyc-redis-")
        self.port = free_port()
        self.proc = subprocess.Popen(
            [binary, "--bind", LOOPBACK, "--port", str(self.port), "--dir", self.folder,
             "--save", "", "--appendonly", "yes", "--appendfsync", "everysec",
             "--protected-mode", "yes"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((LOOPBACK, self.port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.02)
        self.stop()
        raise RuntimeError("redis-server did not start")

    @property
    def url(self) -> str:
        return f"redis://{LOOPBACK}:{self.port}/0"

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.folder, ignore_errors=True)
